import { mkdirSync } from 'node:fs';
import { writableDirs, type Settings } from '../config/settings.js';
import { openDb, type Db } from '../db/connection.js';
import { migrateToLatest } from '../db/migrate.js';
import { configureEncoders } from '../nlp/encoders/environment.js';

/** What every domain function needs: the settings and an open, migrated database. */
export interface LabContext {
  settings: Settings;
  db: Db;
}

/** Creates the lab's folders, opens the database and applies pending migrations. */
export async function openLab(settings: Settings): Promise<LabContext> {
  for (const dir of writableDirs(settings)) mkdirSync(dir, { recursive: true });
  // Saved models reload their encoder by spec, long after training: the encoder settings are process-wide.
  configureEncoders({
    modelCacheDir: settings.modelCacheDir,
    downloads: settings.modelDownloads,
    threads: settings.encoderThreads,
  });
  const db = openDb(settings.databaseUrl);
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return { settings, db };
}
