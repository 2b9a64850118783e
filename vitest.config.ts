import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.spec.ts", "src/**/*.spec.ts", "languages/**/*.spec.ts", "runtime/**/*.spec.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Go builds are CPU-heavy; two cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
