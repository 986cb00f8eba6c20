// The control registry: names, twins, HTTP bodies and the one schema every boundary applies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONTROL_NAMES,
  CONTROL_SIGNALS,
  CONTROL_UPDATES,
  CONTROLS,
  controlBodySchema,
  parseControlRequest,
  pathFields,
} from './control-registry.js';

describe('control registry', () => {
  it('defines one update per control, named as the control, and a <name>Signal twin where declared', () => {
    for (const name of CONTROL_NAMES) {
      assert.equal(CONTROL_UPDATES[name].name, name);
      const twin = (CONTROL_SIGNALS as Record<string, { name: string } | undefined>)[name];
      assert.equal(twin?.name, CONTROLS[name].signal ? `${name}Signal` : undefined);
    }
    // Names recorded in running histories: renaming one would orphan its in-flight updates.
    assert.deepEqual(Object.keys(CONTROL_SIGNALS).sort(), [
      'fastForward',
      'overrideAgent',
      'pause',
      'pauseAt',
      'resume',
      'revertOverride',
    ]);
  });

  it('gives every control its own route; path fields and the caller are not part of the body', () => {
    const routes = CONTROL_NAMES.map((n) => `${CONTROLS[n].http.method} ${CONTROLS[n].http.path}`);
    assert.equal(new Set(routes).size, routes.length);
    assert.deepEqual(pathFields('overrideAgent'), ['agentId']);
    assert.deepEqual(pathFields('revertOverride'), ['overrideId']);
    const body = controlBodySchema('overrideAgent');
    assert.deepEqual(Object.keys(body.shape).sort(), ['params', 'reason']);
    assert.equal(body.safeParse({ params: { temperature: 1 }, by: 'someone' }).success, false, 'by is refused');
    for (const name of CONTROL_NAMES)
      for (const field of pathFields(name))
        assert.ok(field in CONTROLS[name].request.shape, `${name}: path field ${field} is a request field`);
  });

  it('refuses what can never be right, with the field and why, and accepts what is', () => {
    const cases: Array<[Parameters<typeof parseControlRequest>[0], unknown, RegExp | null]> = [
      ['pause', {}, null],
      ['pause', { at: 'round-boundary', by: 'ana', reason: 'lunch' }, null],
      ['pause', { at: 'later' }, /^at: expected 'now' or 'round-boundary'/],
      ['pause', { reason: 'x'.repeat(501) }, /^reason: expected a string of at most 500/],
      ['pause', { colour: 'red' }, /colour/],
      ['fastForward', { toRound: 2.5 }, /^toRound: expected a whole round number/],
      ['fastForward', { toRound: '3' }, /^toRound: expected a whole round number/],
      ['fastForward', { toRound: 0 }, /^toRound: rounds are numbered from 1/],
      ['backtrack', { toRound: 0 }, null],
      ['backtrack', { toRound: -1 }, /^toRound: expected a whole round number \(0 = from the start\)/],
      ['overrideAgent', { agentId: 'critic-logic', params: {} }, /^params: name at least one parameter/],
      ['overrideAgent', { agentId: 'critic-logic', params: { persona: '\u200b' } }, /^params.persona: has no visible/],
      ['overrideAgent', { agentId: 'critic-logic', params: { temperature: 0.3 } }, null],
      ['revertOverride', { overrideId: 1 }, null],
      ['revertOverride', { overrideId: '1' }, /overrideId/],
      ['reject', {}, /^reason/],
      ['reject', { reason: '  \u200b ' }, /^reason/],
      ['reject', { reason: 'weak evidence' }, null],
      ['amend', { hypothesis: 'h'.repeat(10_001) }, /^hypothesis: at most 10000 characters/],
      ['branch', { branches: [{ label: 'a', overrides: {} }] }, /^branches: a tournament needs at least 2 branches/],
    ];
    for (const [name, request, problem] of cases) {
      const got = parseControlRequest(name, request);
      if (problem === null) assert.ok(got.ok, `${name} ${JSON.stringify(request)}: ${got.ok ? '' : got.problem}`);
      else assert.match(got.ok ? 'accepted' : got.problem, problem, `${name} ${JSON.stringify(request)}`);
    }
  });
});
