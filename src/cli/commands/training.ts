import type { Command } from 'commander';

/** CLI commands for training: filled in by the training work. */
export function registerTraining(_program: Command): void {}
