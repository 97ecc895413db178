/// `1 function`, `3 functions`, `0 static files`: a count and its noun, in the right number.
public func counted(_ n: Int, _ singular: String, plural: String? = nil) -> String {
    "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
}
