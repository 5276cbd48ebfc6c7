import { describe, expect, it } from 'vitest';
import { describeSettings, loadSettings, SettingsError } from '../../src/config/settings.js';

const load = (env: Record<string, string>) =>
  loadSettings({ env, cwd: '/tmp', configFile: '/nonexistent/config.json' });

describe('scale-out settings', () => {
  it('defaults: the API runs a worker, 60 s lease, 3 attempts', () => {
    const s = load({});
    expect(s.apiRunWorker).toBe(true);
    expect(s.jobLeaseSeconds).toBe(60);
    expect(s.jobMaxAttempts).toBe(3);
    expect(describeSettings(s).API_RUN_WORKER).toBe('true');
  });

  it('reads API_RUN_WORKER, JOB_LEASE_SECONDS and JOB_MAX_ATTEMPTS from the environment', () => {
    const s = load({ API_RUN_WORKER: 'false', JOB_LEASE_SECONDS: '5', JOB_MAX_ATTEMPTS: '2' });
    expect(s.apiRunWorker).toBe(false);
    expect(s.jobLeaseSeconds).toBe(5);
    expect(s.jobMaxAttempts).toBe(2);
    expect(load({ API_RUN_WORKER: '1' }).apiRunWorker).toBe(true);
  });

  it('rejects bad values naming the key', () => {
    expect(() => load({ API_RUN_WORKER: 'maybe' })).toThrow(SettingsError);
    expect(() => load({ API_RUN_WORKER: 'maybe' })).toThrow(/API_RUN_WORKER/);
    expect(() => load({ JOB_LEASE_SECONDS: '1' })).toThrow(/JOB_LEASE_SECONDS/);
    expect(() => load({ JOB_MAX_ATTEMPTS: '0' })).toThrow(/JOB_MAX_ATTEMPTS/);
  });
});
