import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../app/config.js';
import { type Sluice, startSluice } from '../../app/main.js';
import { freePort } from '../../services/ports.js';
import { ensureStudioBuilt } from '../../studio/build.js';

/**
 * The flow studio in headless Chromium (Debian's, through playwright-core), against `startSluice` with
 * chDB history: the fee-reduction flow built from an empty canvas by UI actions only, deployed, followed
 * live (tickets counted per node, a ticket's path), a broken condition shown on its edge with deploy
 * refused, a version diff, a viewer key that cannot edit, a 200-node flow, and an axe-core check.
 * Screenshots go to `artifacts/studio/`.
 */

const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const ADMIN = 'studio-acme-admin-00001';
const VIEWER = 'studio-acme-viewer-0001';
const ARTIFACTS = new URL('../../artifacts/studio/', import.meta.url);
const FLOW = 'fee-reduction-studio';

interface Doc {
  nodes: Record<string, unknown>[];
  controls: Record<string, unknown>[];
  calendars?: Record<string, unknown>;
  triggers?: Record<string, unknown>[];
  separationOfDuties?: { name: string; nodes: string[] }[];
}

/** An assignee spec as the test enters it in the inspector. */
interface People {
  source: 'group' | 'user' | 'organisation' | 'head' | 'manager' | 'expression';
  /** The source's value; for `manager` the "Manager of" choice (`creator`, `decider:<node>`). */
  value: string;
  strategy?: string;
  capacity?: string;
  remind?: string;
  fallback?: People;
}

/** Text of a value with object keys sorted, for comparing documents in meaning. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

describe('flow studio in headless Chromium', () => {
  let browser: Browser;
  let sluice: Sluice;
  let base: string;

  const api = async (
    method: string,
    path: string,
    body?: unknown,
    key = ADMIN,
  ): Promise<{ status: number; data: Record<string, unknown> }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, data: (await res.json()) as Record<string, unknown> };
  };

  const open = async (key: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('status of 4')) errors.push(m.text());
    });
    (page as Page & { errors: string[] }).errors = errors;
    await page.goto(`${base}/studio#key=${key}`);
    await page.locator('.role-badge').waitFor();
    return page;
  };

  /** Fills a field of the inspector and commits it (fields commit on Enter or blur). */
  const fill = async (page: Page, label: string, value: string, exact = true) => {
    const input = page.getByLabel(label, { exact });
    await input.fill(value);
    await input.press('Enter');
  };
  const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
  const selectNode = async (page: Page, id: string) => {
    await node(page, id).locator('.flow-node-name').click();
    await page.locator('.inspector h2', { hasText: `Node ${id}` }).waitFor();
  };
  /** Connects the selected node to `to` (on `on`), optionally with a condition, from the inspector. */
  const connect = async (page: Page, to: string, on?: string, when?: string) => {
    await page.getByLabel('Connect to', { exact: true }).selectOption(to);
    if (on) await page.getByLabel('On outcome', { exact: true }).selectOption(on);
    await page.getByRole('button', { name: 'Add control' }).click();
    await page.locator('.inspector h2', { hasText: 'Control' }).waitFor();
    if (when) await fill(page, 'Condition (CEL)', when);
  };
  /** Fills one assignee spec in the inspector (`prefix` `Fallback` for the fallback's fields). */
  const people = async (page: Page, p: People, prefix = '') => {
    const l = (text: string) => (prefix ? `${prefix} ${text}` : `${text[0]?.toUpperCase()}${text.slice(1)}`);
    await page.getByLabel(l('assign to'), { exact: true }).selectOption(p.source);
    if (p.source === 'manager') await page.getByLabel(l('manager of'), { exact: true }).selectOption(p.value);
    else await fill(page, l(p.source), p.value);
    if (p.strategy) await page.getByLabel(l('strategy'), { exact: true }).selectOption(p.strategy);
    if (p.capacity) await fill(page, l('capacity (open todos per person)'), p.capacity);
    if (p.remind) await fill(page, l('remind by'), p.remind);
    if (p.fallback) {
      await page.getByLabel('Fall back to other people when nobody here can take it').check();
      await people(page, p.fallback, 'Fallback');
    }
  };
  /** Adds an approval node with its people, SLA and warning levels, all through the inspector. */
  const approval = async (
    page: Page,
    id: string,
    name: string,
    who: People,
    sla: {
      duration: string;
      breach?: string;
      warnings: { delay: string; channel: string; notify?: string; repeat?: string; interval?: string }[];
    },
  ) => {
    await page.getByRole('button', { name: 'Add approval' }).click();
    await fill(page, 'Id', id);
    await page.locator('.inspector h2', { hasText: `Node ${id}` }).waitFor();
    await fill(page, 'Name', name);
    await people(page, who);
    await page.getByLabel('This node has an SLA').check();
    await fill(page, 'SLA duration', sla.duration);
    await page.getByLabel('Business calendar', { exact: true }).selectOption('backoffice');
    await fill(page, 'Pause on (hold statuses)', 'waiting_for_customer');
    if (sla.breach) await page.getByLabel('Breach channel', { exact: true }).selectOption(sla.breach);
    for (const [i, w] of sla.warnings.entries()) {
      const l = `Level ${i + 1}`;
      await page.getByRole('button', { name: 'Add warning level' }).click();
      await fill(page, `${l} delay`, w.delay);
      await page.getByLabel(`${l} channel`, { exact: true }).selectOption(w.channel);
      if (w.notify) await fill(page, `${l} recipients`, w.notify);
      if (w.repeat) await fill(page, `${l} repeats`, w.repeat);
      if (w.interval) await fill(page, `${l} repeat interval`, w.interval);
    }
  };
  /** The values a field's suggestion list offers (its `<datalist>`). */
  const offered = (page: Page, label: string) =>
    page
      .getByLabel(label, { exact: true })
      .evaluate((el) =>
        Array.from(
          (el as unknown as { list: { options: ArrayLike<{ value: string; text: string }> } | null }).list?.options ?? [],
          (o) => `${o.value}|${o.text}`,
        ),
      );

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `studio test: no Chromium at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium; .ci/run does this) or point SLUICE_CHROMIUM at a Chromium binary.`,
      );
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await ensureStudioBuilt();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      SLUICE_API_KEYS: `${ADMIN}:acme:admin,${VIEWER}:acme:viewer`,
      SLUICE_TENANTS: 'acme',
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `studio_${process.pid}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    [browser, sluice] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM }),
      startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false }),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await sluice?.close();
  });

  it('builds the fee-reduction flow from an empty canvas by UI actions only, deploys it and follows its tickets', async () => {
    // The tenant's people directory (nobody in the flow's groups, so todos stay unassigned as the test approves by key).
    for (const [path, body] of [
      ['/v1/orgs', { id: 'billing', name: 'Billing department' }],
      ['/v1/groups', { id: 'billing-agents', name: 'Billing agents' }],
      ['/v1/people', { id: 'ann', name: 'Ann Agent', organisation: 'billing' }],
    ] as const)
      expect((await api('POST', path, body)).status).toBe(201);

    const page = await open(ADMIN);
    await expect(page.locator('.role').textContent()).resolves.toContain('can edit and deploy');
    await page.getByRole('button', { name: 'New flow' }).click();
    await fill(page, 'Flow id', FLOW);
    await fill(page, 'Flow name', 'Fee reduction request (studio)');
    await page.getByRole('button', { name: 'Add trigger' }).click();
    await fill(page, 'Trigger 1 intents', 'fee_reduction, fee_waiver');
    await fill(page, 'Trigger 1 condition', 'has(fields.amount) && fields.amount > 0 && fields.amount <= 50000');
    await page.getByRole('button', { name: 'Add trigger' }).click();
    await fill(page, 'Trigger 2 IVR trajectory', 'main > ** > fee-reduction');
    await fill(page, 'Trigger 2 condition', 'has(fields.amount) && fields.amount > 0 && fields.amount <= 50000');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await fill(page, 'Rule 1 name', 'one-level-per-person');
    await fill(page, 'Rule 1 nodes', 'level1, manager, head');
    await fill(page, 'New calendar name', 'backoffice');
    await page.getByRole('button', { name: 'Add calendar' }).click();
    await fill(page, 'backoffice UTC offset', '+01:00');
    for (const d of ['mon', 'tue', 'wed', 'thu', 'fri']) await fill(page, `backoffice ${d} hours`, '08:00-18:00');
    await fill(page, 'backoffice holidays', '2026-01-01, 2026-04-03, 2026-04-06, 2026-05-01, 2026-12-24, 2026-12-25, 2026-12-31', false);

    await page.getByRole('button', { name: 'Add start' }).click();
    await approval(
      page,
      'level1',
      'First-level approval',
      { source: 'group', value: 'billing-agents', strategy: 'round-robin', capacity: '25' },
      { duration: '4h', warnings: [{ delay: '3h', channel: 'message' }] },
    );
    // People are suggested from the directory, with their names (and the groups the tenant's shipped flows name).
    const groups = await offered(page, 'Group');
    expect(groups).toContain('billing-agents|Billing agents');
    expect(groups).toContain('billing-managers|');
    await page.getByLabel('Assign to', { exact: true }).selectOption('head');
    expect(await offered(page, 'Head of organisation')).toContain('billing|Billing department');
    await page.getByLabel('Assign to', { exact: true }).selectOption('user');
    expect(await offered(page, 'User')).toContain('ann|Ann Agent');
    await page.getByLabel('Assign to', { exact: true }).selectOption('group');
    await fill(page, 'Group', 'billing-agents');

    await approval(
      page,
      'manager',
      'Manager approval',
      {
        source: 'manager',
        value: 'decider:level1',
        strategy: 'least-loaded',
        capacity: '15',
        remind: 'preferred, sms, email',
        fallback: { source: 'group', value: 'billing-managers', strategy: 'least-loaded', capacity: '15' },
      },
      {
        duration: '1h',
        breach: 'log',
        warnings: [
          { delay: '30m', channel: 'message' },
          { delay: '45m', channel: 'sms', notify: 'assignees, group:billing-supervisors' },
          { delay: '1h', channel: 'phone', notify: 'group:department-heads', repeat: '2', interval: '15m' },
        ],
      },
    );
    await approval(
      page,
      'head',
      'Department head approval',
      {
        source: 'manager',
        value: 'decider:manager',
        strategy: 'least-loaded',
        remind: 'preferred, voice, email',
        fallback: { source: 'group', value: 'department-heads', strategy: 'least-loaded' },
      },
      {
        duration: '8h',
        warnings: [
          { delay: '6h', channel: 'email' },
          { delay: '8h', channel: 'phone', notify: 'role:director' },
        ],
      },
    );
    // "Manager of" offers the creator and the deciders of the flow's other decision nodes.
    const managerOf = await page
      .getByLabel('Manager of', { exact: true })
      .evaluate((el) =>
        Array.from((el as unknown as { options: ArrayLike<{ value: string; text: string }> }).options, (o) => `${o.value}|${o.text}`),
      );
    expect(managerOf).toEqual([
      'creator|who opened the ticket',
      'decider:level1|who decided level1',
      'decider:manager|who decided manager',
      'person|a person…',
    ]);
    // A recipient list completes the ref being typed: head of an organisation, the manager of a node's decider.
    await page.getByLabel('Level 1 recipients', { exact: true }).fill('group:billing-agents, manager:dec');
    expect(await offered(page, 'Level 1 recipients')).toEqual([
      'group:billing-agents, manager:decider:level1|manager of who decided level1',
      'group:billing-agents, manager:decider:manager|manager of who decided manager',
      'group:billing-agents, manager:decider:head|manager of who decided head',
    ]);
    await page.getByLabel('Level 1 recipients', { exact: true }).fill('hea');
    expect(await offered(page, 'Level 1 recipients')).toContain('head:billing|head of Billing department');
    await fill(page, 'Level 1 recipients', '');
    await page.getByRole('button', { name: 'Add end' }).click();
    await page.screenshot({ path: new URL('editor-unconnected.png', ARTIFACTS).pathname });

    // Not connected yet: the server's issues sit on the nodes and deploy is refused.
    await expect.poll(() => page.locator('.studio').getAttribute('data-check')).toBe('invalid');
    await expect.poll(() => node(page, 'level1').locator('.flow-node-issues').count()).toBe(1);

    await selectNode(page, 'start');
    await connect(page, 'level1');
    await selectNode(page, 'level1');
    await connect(page, 'end', 'approved', 'fields.amount < 500');
    await selectNode(page, 'level1');
    await connect(page, 'manager', 'approved');
    await selectNode(page, 'level1');
    await connect(page, 'end', 'rejected');
    await selectNode(page, 'manager');
    await connect(page, 'end', 'approved', 'fields.amount <= 5000');
    await selectNode(page, 'manager');
    await connect(page, 'head', 'approved');
    await selectNode(page, 'manager');
    await connect(page, 'end', 'rejected');
    await selectNode(page, 'head');
    await connect(page, 'end', 'approved');
    await selectNode(page, 'head');
    await connect(page, 'end', 'rejected');
    await expect.poll(() => page.locator('.studio').getAttribute('data-check'), { timeout: 10_000 }).toBe('valid');
    await page.getByRole('button', { name: 'Auto layout' }).click();
    // The editor with the manager level's people in the inspector: its decider's manager, else the fallback group.
    await selectNode(page, 'manager');
    expect(await page.getByLabel('Manager of', { exact: true }).inputValue()).toBe('decider:level1');
    expect(await page.getByLabel('Fallback group', { exact: true }).inputValue()).toBe('billing-managers');
    await page.screenshot({ path: new URL('editor.png', ARTIFACTS).pathname });
    await page.getByRole('button', { name: 'Deploy' }).click();
    await expect.poll(() => page.locator('.status').textContent()).toContain(`Deployed ${FLOW} v1: new tickets use it`);

    // The deployed definition means what the shipped one means: nodes, controls, SLAs, warnings, calendar.
    const deployed = (await api('GET', `/v1/flows/${FLOW}`)).data.document as Doc;
    const shipped = parse(readFileSync(new URL('../../workflow/flows/fee-reduction.yaml', import.meta.url), 'utf8')) as Doc;
    expect(canonical(deployed.nodes)).toBe(canonical(shipped.nodes));
    expect(canonical(deployed.controls)).toBe(canonical(shipped.controls));
    expect(canonical(deployed.calendars)).toBe(canonical(shipped.calendars));
    expect(canonical(deployed.triggers)).toBe(canonical(shipped.triggers));
    expect(canonical(deployed.separationOfDuties?.map(({ name, nodes }) => ({ name, nodes })))).toBe(
      canonical(shipped.separationOfDuties?.map(({ name, nodes }) => ({ name, nodes }))),
    );
    // The manager levels are found from the directory, with their fallback groups (as shipped).
    expect(deployed.nodes.find((n) => n.id === 'manager')?.assignees).toEqual({
      manager: 'decider:level1',
      strategy: 'least-loaded',
      capacity: 15,
      remind: ['preferred', 'sms', 'email'],
      fallback: { group: 'billing-managers', strategy: 'least-loaded', capacity: 15 },
    });

    // Tickets through the API are counted on their nodes, live.
    const ids: string[] = [];
    for (const amount of [900, 2_000, 100]) {
      const r = await api('POST', '/v1/tickets', { flowId: FLOW, fields: { amount } });
      expect(r.status).toBe(201);
      ids.push((r.data.ticket as { id: string }).id);
    }
    await expect.poll(() => node(page, 'level1').locator('.flow-node-figures').getAttribute('data-open'), { timeout: 10_000 }).toBe('3');

    // A ticket's path: start → level1; approving it moves it to the manager, and the path extends.
    await page.getByLabel('Ticket id', { exact: true }).fill(ids[0] as string);
    await page.getByRole('button', { name: 'Show path' }).click();
    await expect.poll(() => node(page, 'level1').locator('.flow-node').getAttribute('data-path')).toBe('current');
    const ticket = (await api('GET', `/v1/tickets/${ids[0]}`)).data as { todos: { id: string }[] };
    expect((await api('POST', `/v1/tickets/${ids[0]}/actions`, { type: 'approve', todoId: ticket.todos[0]?.id })).status).toBe(200);
    await expect.poll(() => node(page, 'manager').locator('.flow-node').getAttribute('data-path'), { timeout: 10_000 }).toBe('current');
    expect(await node(page, 'level1').locator('.flow-node').getAttribute('data-path')).toBe('taken');
    expect(await page.locator('[data-testid="rf__edge-c2"]').getAttribute('class')).toContain('path-taken');
    await expect.poll(() => node(page, 'manager').locator('.flow-node-figures').getAttribute('data-open'), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => node(page, 'level1').locator('.flow-node-figures').getAttribute('data-open')).toBe('2');
    await expect(page.locator('.ticket').textContent()).resolves.toMatch(/SLA .* left of 1h/);
    await page.screenshot({ path: new URL('ticket-path.png', ARTIFACTS).pathname });
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('shows a broken condition on its edge and refuses to deploy; a diff highlights exactly the changed parts', async () => {
    const page = await open(ADMIN);
    await page.getByRole('button', { name: /Fee reduction request \(studio\)/ }).click();
    await page.getByRole('button', { name: 'Edit as new version' }).click();
    await selectNode(page, 'level1');
    await page.getByRole('button', { name: /^Control 2: to end on approved/ }).click();
    await page.locator('.inspector h2', { hasText: 'Control 2' }).waitFor();
    await fill(page, 'Condition (CEL)', 'fields.amount <');
    await expect.poll(() => page.locator('[data-testid="rf__edge-c1"]').getAttribute('class'), { timeout: 10_000 }).toContain('has-issues');
    await expect(page.locator('[data-testid="rf__edge-c1"] .react-flow__edge-text').textContent()).resolves.toContain('bad expression');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await expect.poll(() => page.locator('.status').textContent()).toContain('Deploy refused');
    await page.screenshot({ path: new URL('broken-condition.png', ARTIFACTS).pathname });
    expect((await api('GET', `/v1/flows/${FLOW}`)).data.versions).toEqual([1]);

    // Fix it differently, change the manager's SLA, deploy v2, compare with v1.
    await fill(page, 'Condition (CEL)', 'fields.amount < 1000');
    await selectNode(page, 'manager');
    await fill(page, 'SLA duration', '2h');
    await expect.poll(() => page.locator('.studio').getAttribute('data-check'), { timeout: 10_000 }).toBe('valid');
    await page.getByRole('button', { name: 'Deploy' }).click();
    await expect.poll(() => page.locator('.status').textContent()).toContain(`Deployed ${FLOW} v2: new tickets use it`);
    await page.getByLabel('Compare with').selectOption('1');
    await expect.poll(() => node(page, 'manager').locator('.flow-node').getAttribute('data-change')).toBe('changed');
    const changes = await page
      .locator('.flow-node')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-node-id')}:${e.getAttribute('data-change')}`).sort());
    expect(changes).toEqual(['end:same', 'head:same', 'level1:same', 'manager:changed', 'start:same']);
    const edges = await page
      .locator('.react-flow__edge')
      .evaluateAll((els) =>
        els.filter((e) => /diff-(added|removed|changed)/.test(e.getAttribute('class') ?? '')).map((e) => e.getAttribute('data-testid')),
      );
    expect(edges).toEqual(['rf__edge-c1']);
    await page.screenshot({ path: new URL('diff.png', ARTIFACTS).pathname });

    // Running v1 tickets: the preview says where each would go, and nothing moves.
    await page.getByLabel('Compare with').selectOption('');
    await page.getByRole('button', { name: 'Preview migration' }).click();
    await expect.poll(() => page.locator('.migration tbody tr').count()).toBe(3);
    const rows = await page.locator('.migration tbody tr').allTextContents();
    expect(rows.some((r) => r.includes('v1 manager') && r.endsWith('manager'))).toBe(true);
    const stillV1 = (await api('GET', `/v1/tickets?flowId=${FLOW}&status=active`)).data.items as { flow: { version: number } }[];
    expect(stillV1.every((t) => t.flow.version === 1)).toBe(true);
    await page.close();
  });

  it('a viewer key sees the flows but cannot edit or deploy', async () => {
    const page = await open(VIEWER);
    await expect(page.locator('.role').textContent()).resolves.toContain('viewer');
    await expect(page.locator('.role').textContent()).resolves.toContain('read only');
    expect(await page.getByRole('button', { name: 'New flow' }).count()).toBe(0);
    await page.getByRole('button', { name: /Fee reduction request \(studio\)/ }).click();
    await node(page, 'manager').waitFor();
    expect(await page.getByRole('button', { name: 'Edit as new version' }).count()).toBe(0);
    expect(await page.getByLabel('Flow name', { exact: true }).isDisabled()).toBe(true);
    await selectNode(page, 'manager');
    expect(await page.getByLabel('SLA duration').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Delete node' }).count()).toBe(0);
    // The server holds the line too: a viewer key cannot publish.
    expect((await api('POST', '/v1/flows', { id: 'x', version: 1, name: 'x', nodes: [], controls: [] }, VIEWER)).status).toBe(403);
    await page.close();
  });

  it('opens and lays out a 200-node flow', async () => {
    const nodes: Record<string, unknown>[] = [{ id: 'start', type: 'start' }];
    const controls: Record<string, unknown>[] = [{ from: 'start', to: 't1' }];
    for (let i = 1; i <= 198; i++) {
      nodes.push({ id: `t${i}`, type: 'task', name: `Step ${i}`, assignees: { group: `team-${i % 7}` } });
      // A ladder with side branches: each step goes on, or (for large amounts) skips ahead.
      const next = i === 198 ? 'end' : `t${i + 1}`;
      if (i % 5 === 0 && i + 3 <= 198) controls.push({ from: `t${i}`, to: `t${i + 3}`, when: 'fields.amount > 1000' });
      controls.push({ from: `t${i}`, to: next });
    }
    nodes.push({ id: 'end', type: 'end' });
    expect((await api('POST', '/v1/flows', { id: 'big', version: 1, name: 'Two hundred nodes', nodes, controls })).status).toBe(201);
    const page = await open(ADMIN);
    await page.getByRole('button', { name: /Two hundred nodes/ }).click();
    await expect.poll(() => page.locator('.react-flow__node').count(), { timeout: 20_000 }).toBe(200);
    await expect.poll(() => page.locator('.status').textContent()).toContain('Opened Two hundred nodes v1');
    const places = await page
      .locator('.react-flow__node')
      .evaluateAll((els) => els.map((e) => (e as unknown as { style: { transform: string } }).style.transform));
    expect(new Set(places).size).toBe(200);
    expect(await page.locator('.react-flow__minimap').count()).toBe(1);
    await page.screenshot({ path: new URL('two-hundred-nodes.png', ARTIFACTS).pathname });
    await page.close();
  });

  it('passes an axe-core accessibility check with no serious or critical violations', async () => {
    const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    // The page's CSP forbids inline scripts (rightly): this context lets the test inject axe.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${base}/studio#key=${ADMIN}`);
    await page.locator('.role-badge').waitFor();
    await page.getByRole('button', { name: /Fee reduction request \(studio\)/ }).click();
    await node(page, 'manager').waitFor();
    await selectNode(page, 'manager');
    await page.addScriptTag({ content: axeSource });
    const result = (await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<unknown> } }).axe;
      return axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    })) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
    const summary = result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.length,
      first: v.nodes[0]?.target,
    }));
    writeFileSync(new URL('axe.json', ARTIFACTS), `${JSON.stringify(summary, null, 2)}\n`);
    expect(summary.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await context.close();
  });
});
