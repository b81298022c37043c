import { describe, expect, it } from 'vitest';
import { createFakeSwitch } from '../src/index.js';
import { switchCompliance } from './switch-compliance.js';

describe('fake switch: compliance (netem present)', () => {
  switchCompliance(async () => ({ sw: createFakeSwitch(), netem: true, cleanup: async () => {} }));
});

describe('fake switch: compliance (no netem)', () => {
  switchCompliance(async () => ({
    sw: createFakeSwitch({ netem: false }),
    netem: false,
    cleanup: async () => {},
  }));
});

describe('fake switch specifics', () => {
  it('reports pre-existing bridges as not created', async () => {
    const sw = createFakeSwitch({ preexisting: ['mega_bridge'] });
    expect(await sw.ensureBridge('mega_bridge')).toEqual({ created: false });
  });

  it('fails check when not running', async () => {
    const sw = createFakeSwitch();
    sw.running = false;
    await expect(sw.check()).rejects.toMatchObject({ code: 'ERR_OVS_NOT_RUNNING' });
  });
});
