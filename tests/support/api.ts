import { buildApp, type LabApp } from '../../src/api/app.js';
import { createTestLab, type TestDialect, type TestLab } from './databases.js';

export interface TestApi {
  app: LabApp;
  lab: TestLab;
  close(): Promise<void>;
}

/** The real Fastify app over a fresh lab; use `app.inject` or `app.listen({port: 0})`. */
export async function createTestApi(
  dialect: TestDialect = 'sqlite',
  env: Record<string, string> = {},
): Promise<TestApi> {
  const lab = await createTestLab(dialect, env);
  const app = await buildApp(lab);
  await app.ready();
  return {
    app,
    lab,
    close: async () => {
      await app.close();
      await lab.cleanup();
    },
  };
}
