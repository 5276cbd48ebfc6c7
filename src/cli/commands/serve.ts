import { InvalidArgumentError, type Command } from 'commander';
import { loadSettings } from '../../config/settings.js';
import { assertSafeExposure } from '../../security/exposure.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be an integer between 0 and 65535');
  }
  return port;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the API and dashboard (http://HOST:PORT/, docs at /docs)')
    .option('--host <host>', 'address to listen on (default: HOST setting, 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default: PORT setting, 8000)', parsePort)
    .option('--insecure', 'allow a non-loopback HOST with CHATLAB_AUTH=off (anyone on the network may change the lab)')
    .action(async (options: { host?: string; port?: number; insecure?: boolean }) => {
      // Load with the --host override in place, so the auth default (required off loopback)
      // follows the address actually listened on.
      const env = { ...process.env };
      if (options.host) env.HOST = options.host;
      if (options.port !== undefined) env.PORT = String(options.port);
      const settings = loadSettings({ env });
      // Checked before loading the server, so a refusal is immediate.
      assertSafeExposure(settings, options.insecure);
      const { startServer } = await import('../../api/server.js');
      await startServer(settings, { insecure: options.insecure });
    });
}
