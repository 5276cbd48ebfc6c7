import type { Command } from 'commander';
import { describeSettings } from '../../config/settings.js';
import { ping } from '../../db/connection.js';
import { migrationStatus } from '../../db/migrate.js';
import { output, settingsFromEnvironment, table, withLab } from '../output.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create the folders, apply database migrations and show the effective settings (safe to repeat)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const settings = settingsFromEnvironment();
      const result = await withLab(async (lab) => {
        const latencyMs = await ping(lab.db);
        const migrations = await migrationStatus(lab.db);
        return {
          settings: describeSettings(settings),
          database: { dialect: lab.db.dialect, reachable: true, latency_ms: Number(latencyMs.toFixed(2)) },
          migrations,
        };
      }, settings);
      output(result, options, (r) =>
        [
          'Settings (defaults < config.json < environment):',
          table(Object.entries(r.settings).map(([key, value]) => ({ key, value }))),
          '',
          `Database: ${r.database.dialect}, reachable (${r.database.latency_ms} ms)`,
          `Migrations: ${r.migrations.applied.length} applied, ${r.migrations.pending.length} pending`,
          'Ready. Start the lab with: chatlab serve',
        ].join('\n'),
      );
    });
}
