// Adapter layer (CLI): the `ses-firehose-autowire` executable (bundled to dist/cli.js) — runs main with the real process.
import { main } from "./main";

main({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `ses-firehose-autowire: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
