import type { Command } from 'commander';

/** CLI commands for datasets: filled in by the datasets work. */
export function registerDatasets(_program: Command): void {}
