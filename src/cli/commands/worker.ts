import type { Command } from 'commander';

/** `chatlab worker`: filled in by the scale-out work. */
export function registerWorker(_program: Command): void {}
