import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';

export const chatlabBin = path.resolve(import.meta.dirname, '../../bin/chatlab.js');

/** Runs the built `chatlab` binary (run `npm run build` first; `npm test` does via pretest). */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [chatlabBin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, LOG_LEVEL: 'silent', ...options.env },
    encoding: 'utf8',
    input: options.input,
    timeout: 120_000,
  });
}

/** Starts the binary without waiting for it; the caller kills it. */
export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  return spawn(process.execPath, [chatlabBin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
