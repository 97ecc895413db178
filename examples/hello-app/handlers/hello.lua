-- Not deployed by zerverless.yaml (the inline function is); kept as a codeFile example.
function handle(req)
  return {status = 200, body = "Hello from a file!"}
end
