// Bench layer: preloaded into a benchmarked Node.js process (node --require); at exit, writes its peak RSS and CPU
// time as JSON to the file named by BENCH_RESOURCE_USAGE_FILE.
const { writeFileSync } = require("node:fs");

const target = process.env.BENCH_RESOURCE_USAGE_FILE;
if (target) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    // maxRSS is in kilobytes, CPU times in microseconds.
    writeFileSync(
      target,
      JSON.stringify({
        maxRssBytes: usage.maxRSS * 1024,
        userCpuMs: usage.userCPUTime / 1000,
        systemCpuMs: usage.systemCPUTime / 1000,
      }),
    );
  });
}
