/// The style sheet of both pages. The list fits 1280 px without scrolling sideways: a fixed
/// table layout, one line per cell, long texts cut with an ellipsis (the whole text in the
/// cell's title and on the application's page).
enum PageStyle {
    static let css = """
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #fff; }
        a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
        code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
        header { display: flex; align-items: baseline; gap: 1em; padding: .6em 1.2em; background: #f6f8fa; border-bottom: 1px solid #d8dee4; }
        h1 { font-size: 1.15em; margin: 0; font-weight: 600; } h1 a { color: inherit; } h1 .app { font-weight: 400; }
        h2 { font-size: 1em; margin: 1.4em 0 .5em; font-weight: 600; }
        #live { font-size: .8em; color: #57606a; }
        #token { margin: .8em 1.2em 0; padding: .8em 1em; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; }
        main { padding: .6em 1.2em 2em; }
        .bar { display: flex; flex-wrap: wrap; align-items: center; gap: .4em .8em; margin: .4em 0 .8em; }
        .count { border: 1px solid #d0d7de; background: #fff; border-radius: 2em; padding: .1em .7em; font: inherit; cursor: pointer; }
        .count b { font-weight: 600; } .count.on { outline: 2px solid #0969da; }
        .bar input, .bar select { font: inherit; padding: .15em .4em; border: 1px solid #d0d7de; border-radius: 6px; }
        #summary { color: #57606a; }
        table { border-collapse: collapse; width: 100%; table-layout: fixed; }
        th, td { text-align: left; padding: .3em .5em; border-bottom: 1px solid #eaeef2; vertical-align: top;
          white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
        th { font-weight: 600; background: #f6f8fa; font-size: .92em; }
        tbody tr:hover { background: #f6f8fa; }
        col.c-name { width: 190px; } col.c-namespace { width: 110px; } col.c-status { width: 210px; }
        col.c-commit { width: 150px; } col.c-lastSync, col.c-nextSync { width: 92px; }
        col.h-trigger { width: 90px; } col.h-result { width: 100px; } col.h-duration { width: 80px; } col.h-changed { width: 150px; }
        col.h-action { width: 140px; }
        td.name a { font-weight: 600; } td.commit .tried { display: block; color: #9a6700; font-size: 12px; }
        td.detail .err, .err { color: #a40e26; }
        .st, .badge { display: inline-block; border-radius: 2em; padding: 0 .55em; font-size: .85em; font-weight: 600; line-height: 1.6; }
        .st-ok { background: #dafbe1; color: #116329; } .st-warn { background: #fff1c2; color: #7d4e00; }
        .st-bad { background: #ffebe9; color: #a40e26; } .st-busy { background: #ddf4ff; color: #0550ae; }
        .st-muted { background: #eaeef2; color: #424a53; } .st-pin { background: #fbefff; color: #6f42c1; }
        .b-drift { background: #fff8c5; color: #7d4e00; border: 1px solid #d4a72c; }
        .b-pin { background: #fbefff; color: #6f42c1; border: 1px solid #c297ff; }
        .b-suspended { background: #eaeef2; color: #424a53; border: 1px solid #afb8c1; }
        .h-healthy { background: #dafbe1; color: #116329; } .h-degraded { background: #ffebe9; color: #a40e26; }
        .h-progressing { background: #ddf4ff; color: #0550ae; } .h-unknown { background: #eaeef2; color: #424a53; }
        .chip { display: inline-block; border: 1px solid #d0d7de; border-radius: 4px; padding: 0 .35em; font-size: .8em; color: #424a53; margin-left: .3em; }
        .progress { font-size: .8em; color: #0550ae; margin-left: .3em; } progress { width: 60px; height: .7em; vertical-align: middle; }
        .muted { color: #57606a; }
        dl.facts { display: grid; grid-template-columns: 11em 1fr; gap: .25em 1em; margin: 0; }
        dl.facts dt { color: #57606a; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 2.5em; }
        .error-box { border: 1px solid #ff8182; background: #fff5f5; border-radius: 6px; padding: .6em .8em; margin: .6em 0; }
        .error-box pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .4em 0 0; color: #1f2328; }
        .message { margin: .5em 0; overflow-wrap: anywhere; } .times { margin: .4em 0; color: #57606a; }
        .times time { color: #1f2328; }
        button.act { font: inherit; padding: .2em .8em; border: 1px solid #d0d7de; border-radius: 6px; background: #f6f8fa; cursor: pointer; }
        button.act:hover { background: #eaeef2; } button.act.primary { background: #1f883d; color: #fff; border-color: #1a7f37; }
        #action-result.ok { color: #116329; } #action-result.bad { color: #a40e26; }
        table.list td { white-space: nowrap; } table.wrap td { white-space: normal; overflow-wrap: anywhere; }
        svg.chart { width: 100%; height: 90px; display: block; margin: .3em 0 .6em; background: #fafbfc; border: 1px solid #eaeef2; border-radius: 6px; }
        svg.chart .r-synced { fill: #2da44e; } svg.chart .r-unchanged { fill: #8c959f; } svg.chart .r-error { fill: #cf222e; }
        svg.chart .r-invalid { fill: #a40e26; } svg.chart .r-undeployed { fill: #6e7781; } svg.chart .r-other { fill: #bf8700; }
        svg.chart text { font-size: 10px; fill: #57606a; }
        .legend span { margin-right: 1em; font-size: .85em; } .legend i { display: inline-block; width: .8em; height: .8em; margin-right: .3em; vertical-align: -1px; }
        .legend .r-synced { background: #2da44e; } .legend .r-error { background: #cf222e; } .legend .r-invalid { background: #a40e26; }
        .legend .r-unchanged { background: #8c959f; }
        .notfound { padding: 2em 0; }
        """
}
