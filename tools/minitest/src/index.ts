// @mm/minitest: the runner for minimega's command-test format, as a library.
export { type Reply, RunnerClient, RunnerClientError } from './client.js';
export { compareTranscript, formatDiff, linesMatch, type Mismatch } from './compare.js';
export { canIsolate, defaultMinimega, type StartedDaemon, startDaemon } from './daemon.js';
export {
  discoverTests,
  formatResult,
  parseList,
  type RunOptions,
  runTest,
  runTests,
  summary,
  type TestResult,
  withImages,
} from './runner.js';
export { batchLines, type CommandRunner, runTranscript, testLines } from './transcript.js';
