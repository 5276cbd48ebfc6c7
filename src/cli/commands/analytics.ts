import type { Command } from 'commander';

/** CLI commands for analytics: filled in by the analytics work. */
export function registerAnalytics(_program: Command): void {}
