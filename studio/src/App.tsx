import {
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  MarkerType,
  MiniMap,
  type Node,
  type NodeChange,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Api, ApiError, type Session } from './api';
import { FlowNode, type FlowNodeData, type NodeFigure } from './FlowNode';
import { Inspector, type Selection, type Suggestions } from './Inspector';
import { layoutGraph, NODE_HEIGHT, type Positions } from './layout';
import {
  addControl,
  addNode,
  controlKeys,
  diffFlows,
  emptyFlow,
  type FlowDiff,
  type FlowDoc,
  formatMs,
  type Issue,
  NODE_TYPES,
  newNode,
  outcomesOf,
  placeIssues,
  removeControl,
  removeNode,
} from './model';

interface FlowSummary {
  id: string;
  name: string;
  version: number;
  latestVersion: number;
  description?: string;
}

interface FlowDetail extends FlowSummary {
  versions: number[];
  document: FlowDoc;
}

interface TicketPath {
  ticketId: string;
  flow: { id: string; version: number };
  state: string;
  current: string;
  outcome?: string;
  nodes: string[];
  edges: { from: string; to: string; control: number; at: number }[];
  sla: { nodeId: string; durationMs: number; remainingMs: number; paused: boolean; breached: boolean; breachAt?: number } | null;
  warnings: { kind: string; level: number; channel: string; dueAt: number; firedAt?: number; recipients: string[] }[];
  history: { seq: number; at: number; actor: string; action: string; node: string; toNode?: string }[];
}

interface TicketRow {
  id: string;
  nodeId: string;
  state: string;
  flow: { version: number };
  title?: string;
}

interface Move {
  ticketId: string;
  fromVersion: number;
  fromNode: string;
  toNode?: string;
  refused?: string;
}

const NO_SUGGESTIONS: Suggestions = {
  groups: [],
  users: [],
  organisations: [],
  roles: [],
  calendars: [],
  channels: ['message', 'sms', 'email', 'phone', 'webhook', 'log'],
};
const nodeTypes = { flow: FlowNode };
const REFRESH_MS = 2_000;

function readHash(): { key: string; tenant: string } {
  const p = new URLSearchParams(window.location.hash.slice(1));
  return {
    key: p.get('key') ?? sessionStorage.getItem('sluice-studio-key') ?? '',
    tenant: p.get('tenant') ?? sessionStorage.getItem('sluice-studio-tenant') ?? '',
  };
}

/** The whole studio page. */
export function App() {
  return (
    <ReactFlowProvider>
      <Studio />
    </ReactFlowProvider>
  );
}

function Studio() {
  const initial = readHash();
  const [keyText, setKeyText] = useState(initial.key);
  const [tenantText, setTenantText] = useState(initial.tenant);
  const [api, setApi] = useState(() => new Api(initial.key, initial.tenant || undefined));
  const [session, setSession] = useState<Session | undefined>();
  const [status, setStatus] = useState('');
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [detail, setDetail] = useState<FlowDetail | undefined>();
  /** The document on the canvas: a deployed version, or the draft being edited. */
  const [doc, setDoc] = useState<FlowDoc | undefined>();
  const [version, setVersion] = useState<number | undefined>();
  const [editing, setEditing] = useState(false);
  const [positions, setPositions] = useState<Positions>({});
  const [moved, setMoved] = useState(false);
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const [selection, setSelection] = useState<Selection>({ kind: 'flow' });
  const [issues, setIssues] = useState<Issue[]>([]);
  const [checked, setChecked] = useState<'idle' | 'checking' | 'valid' | 'invalid'>('idle');
  const [figures, setFigures] = useState<Record<string, NodeFigure> | undefined>();
  const [diff, setDiff] = useState<{ against: number; before: FlowDoc; diff: FlowDiff } | undefined>();
  const [path, setPath] = useState<TicketPath | undefined>();
  const [ticketText, setTicketText] = useState('');
  const [tickets, setTickets] = useState<TicketRow[]>([]);
  const [moves, setMoves] = useState<Move[] | undefined>();
  const [suggestions, setSuggestions] = useState<Suggestions>(NO_SUGGESTIONS);
  const flow = useReactFlow();
  const canEdit = session?.canEdit === true;

  const fail = useCallback(
    (err: unknown) => setStatus(err instanceof ApiError ? `${err.code}: ${err.message}` : String((err as Error).message ?? err)),
    [],
  );

  // Sign in: who the key is, then the tenant's flows.
  const connect = useCallback(
    async (a: Api) => {
      try {
        const s = await a.get<Session>('/v1/studio/session');
        setSession(s);
        if (s.platform && !a.tenant) {
          setStatus('This is a platform key: name the tenant to work on.');
          return;
        }
        const list = await a.get<{ flows: FlowSummary[] }>('/v1/flows');
        setFlows(list.flows);
        setSuggestions(await a.get<Suggestions>('/v1/studio/suggestions'));
        setStatus(`Signed in as ${s.user ?? s.key} (${s.role}) — ${list.flows.length} flows`);
      } catch (err) {
        setSession(undefined);
        fail(err);
      }
    },
    [fail],
  );
  useEffect(() => {
    void connect(api);
  }, [api, connect]);

  const signIn = () => {
    sessionStorage.setItem('sluice-studio-key', keyText);
    sessionStorage.setItem('sluice-studio-tenant', tenantText);
    setApi(new Api(keyText.trim(), tenantText.trim() || undefined));
  };

  const relayout = useCallback(
    async (d: FlowDoc, extra: FlowDoc | undefined = undefined) => {
      const ids = [...new Set([...d.nodes.map((n) => n.id), ...(extra?.nodes.map((n) => n.id) ?? [])])];
      const edges = [...d.controls, ...(extra?.controls ?? [])];
      const p = await layoutGraph(ids, edges);
      setPositions(p);
      setMoved(false);
      requestAnimationFrame(() => flow.fitView({ padding: 0.15, maxZoom: 1.2 }));
    },
    [flow],
  );

  /** Shows version `v` of flow `id` (the latest by default); `announce` is the status once it is on screen. */
  const openVersion = useCallback(
    async (id: string, v?: number, announce?: string) => {
      try {
        const d = await api.get<FlowDetail>(`/v1/flows/${encodeURIComponent(id)}`);
        const shown =
          v === undefined || v === d.latestVersion
            ? d.document
            : (await api.get<{ document: FlowDoc }>(`/v1/flows/${encodeURIComponent(id)}/versions/${v}`)).document;
        setDetail(d);
        setDoc(shown);
        setVersion(shown.version);
        setEditing(false);
        setIssues([]);
        setChecked('idle');
        setDiff(undefined);
        setMoves(undefined);
        setPath(undefined);
        setSelection({ kind: 'flow' });
        await relayout(shown);
        setStatus(announce ?? `Opened ${shown.name} v${shown.version}`);
      } catch (err) {
        fail(err);
      }
    },
    [api, fail, relayout],
  );

  // Live figures and tickets of the version on screen (not while editing a draft), and the open ticket's path.
  const pathId = path?.ticketId;
  useEffect(() => {
    if (!doc || editing || version === undefined) {
      setFigures(undefined);
      return;
    }
    let stop = false;
    const load = async () => {
      try {
        const f = await api.get<{ nodes: Record<string, NodeFigure> }>(
          `/v1/flows/${encodeURIComponent(doc.id)}/versions/${version}/figures`,
        );
        const t = await api.get<{ items: TicketRow[] }>(`/v1/tickets?flowId=${encodeURIComponent(doc.id)}&status=active&limit=50`);
        if (stop) return;
        setFigures(f.nodes);
        setTickets(t.items);
        if (pathId) {
          const p = await api.get<TicketPath>(`/v1/tickets/${encodeURIComponent(pathId)}/path`);
          if (!stop) setPath(p);
        }
      } catch (err) {
        if (!stop) fail(err);
      }
    };
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [api, doc, editing, version, pathId, fail]);

  // A draft is checked by the server (the publish check, not stored) a moment after each change.
  const checkSeq = useRef(0);
  useEffect(() => {
    if (!editing || !doc) return;
    const seq = ++checkSeq.current;
    setChecked('checking');
    const timer = setTimeout(async () => {
      try {
        const { tenant: _t, ...body } = doc;
        const r = await api.post<{ valid: boolean; issues: Issue[] }>('/v1/flows/validate', body);
        if (seq !== checkSeq.current) return;
        setIssues(r.issues);
        setChecked(r.valid ? 'valid' : 'invalid');
      } catch (err) {
        if (seq !== checkSeq.current) return;
        setIssues(err instanceof ApiError && err.issues.length ? err.issues : [{ path: '', message: (err as Error).message }]);
        setChecked('invalid');
      }
    }, 250);
    return () => clearTimeout(timer);
  }, [api, doc, editing]);

  const change = useCallback(
    (next: FlowDoc, select?: Selection) => {
      const structural =
        !doc ||
        next.nodes.length !== doc.nodes.length ||
        next.controls.length !== doc.controls.length ||
        next.nodes.some((n, i) => n.id !== doc.nodes[i]?.id) ||
        next.controls.some((c, i) => c.from !== doc.controls[i]?.from || c.to !== doc.controls[i]?.to);
      setDoc(next);
      if (select) setSelection(select);
      if (structural && !moved) void relayout(next);
      else if (structural) {
        // The user arranged the nodes: keep their places, put new ones below.
        const bottom = Math.max(0, ...Object.values(positions).map((p) => p.y));
        const placed = { ...positions };
        let i = 0;
        for (const n of next.nodes) if (!placed[n.id]) placed[n.id] = { x: 40 + 240 * i++, y: bottom + NODE_HEIGHT + 60 };
        setPositions(placed);
      }
    },
    [doc, moved, positions, relayout],
  );

  const startEditing = () => {
    if (!doc || !detail) return;
    setEditing(true);
    setDiff(undefined);
    setPath(undefined);
    setMoves(undefined);
    setDoc({ ...doc, version: Math.max(detail.latestVersion, ...detail.versions) + 1 });
    setStatus(`Editing a draft of v${Math.max(detail.latestVersion, ...detail.versions) + 1}: changes are checked by the server as you go`);
  };

  const newFlow = () => {
    const d = emptyFlow('new-flow', 'New flow');
    setDetail(undefined);
    setDoc(d);
    setVersion(undefined);
    setEditing(true);
    setDiff(undefined);
    setPath(undefined);
    setMoves(undefined);
    setPositions({});
    setMoved(false);
    setSelection({ kind: 'flow' });
    setStatus('New flow: add nodes from the palette, connect them, then deploy');
  };

  const deploy = async () => {
    if (!doc) return;
    try {
      const { tenant: _t, ...body } = doc;
      const check = await api.post<{ valid: boolean; issues: Issue[] }>('/v1/flows/validate', body);
      setIssues(check.issues);
      if (!check.valid) {
        setChecked('invalid');
        setStatus(`Deploy refused: ${check.issues.length} problem${check.issues.length === 1 ? '' : 's'} to fix first`);
        return;
      }
      const r = await api.post<{ id: string; version: number }>('/v1/flows', body);
      setStatus(`Opening ${r.id} v${r.version}, just deployed…`);
      setFlows((await api.get<{ flows: FlowSummary[] }>('/v1/flows')).flows);
      // Said once the deployed version is on screen, so the status is not overwritten by the open, and what the
      // user does next (compare, preview a migration) acts on the version it names.
      await openVersion(r.id, r.version, `Deployed ${r.id} v${r.version}: new tickets use it, running tickets keep their version`);
    } catch (err) {
      if (err instanceof ApiError && err.issues.length) setIssues(err.issues);
      fail(err);
    }
  };

  const compare = async (against: number) => {
    if (!doc) return;
    try {
      const before = (await api.get<{ document: FlowDoc }>(`/v1/flows/${encodeURIComponent(doc.id)}/versions/${against}`)).document;
      const d = diffFlows(before, doc);
      setDiff({ against, before, diff: d });
      await relayout(doc, before);
      const count = (m: Map<string, string>, c: string) => [...m.values()].filter((x) => x === c).length;
      setStatus(
        `v${against} → v${doc.version}: nodes ${count(d.nodes, 'added')} added, ${count(d.nodes, 'removed')} removed, ${count(d.nodes, 'changed')} changed; controls ${count(d.controls, 'added')} added, ${count(d.controls, 'removed')} removed, ${count(d.controls, 'changed')} changed`,
      );
    } catch (err) {
      fail(err);
    }
  };

  const openTicket = async (id: string) => {
    try {
      const p = await api.get<TicketPath>(`/v1/tickets/${encodeURIComponent(id)}/path`);
      if (!doc || p.flow.id !== doc.id || p.flow.version !== version) await openVersion(p.flow.id, p.flow.version);
      setPath(p);
      setStatus(`Ticket ${p.ticketId}: ${p.state} at ${p.current}`);
    } catch (err) {
      fail(err);
    }
  };

  const previewMigration = async () => {
    if (!doc) return;
    try {
      const r = await api.post<{ moves: Move[]; toVersion: number }>(`/v1/flows/${encodeURIComponent(doc.id)}/migration-preview`, {
        toVersion: doc.version,
      });
      setMoves(r.moves);
      setStatus(
        `${r.moves.length} running tickets on older versions; ${r.moves.filter((m) => !m.refused).length} can move to v${r.toVersion}`,
      );
    } catch (err) {
      fail(err);
    }
  };

  const migrateAll = async () => {
    if (!doc || !moves) return;
    let done = 0;
    for (const m of moves.filter((x) => !x.refused)) {
      try {
        await api.post(`/v1/tickets/${encodeURIComponent(m.ticketId)}/migrate`, { toVersion: doc.version });
        done++;
      } catch (err) {
        fail(err);
      }
    }
    setStatus(`Migrated ${done} tickets to v${doc.version}`);
    await previewMigration();
  };

  const placed = useMemo(() => (doc ? placeIssues(doc, issues) : undefined), [doc, issues]);

  const rfNodes = useMemo<Node<FlowNodeData>[]>(() => {
    if (!doc || !placed) return [];
    const onPath = new Set(path?.nodes ?? []);
    const out: Node<FlowNodeData>[] = doc.nodes.map((n) => ({
      id: n.id,
      type: 'flow',
      position: positions[n.id] ?? { x: 0, y: 0 },
      // Sizes React Flow measured (the minimap draws a node once it has one).
      ...(measured[n.id] && { measured: measured[n.id] }),
      selected: selection.kind === 'node' && selection.id === n.id,
      draggable: true,
      deletable: editing,
      ariaLabel: `${n.type} node ${n.name ?? n.id}`,
      data: {
        node: n,
        issues: placed.nodes.get(n.id) ?? [],
        ...(figures?.[n.id] && { figure: figures[n.id] }),
        ...(diff && { change: diff.diff.nodes.get(n.id) ?? 'same' }),
        ...(path && onPath.has(n.id) && { path: path.current === n.id && path.state !== 'closed' ? 'current' : 'taken' }),
      },
    }));
    if (diff) {
      for (const n of diff.before.nodes) {
        if (diff.diff.nodes.get(n.id) !== 'removed') continue;
        out.push({
          id: `removed:${n.id}`,
          type: 'flow',
          position: positions[n.id] ?? { x: 0, y: 0 },
          draggable: false,
          deletable: false,
          selectable: false,
          data: { node: n, issues: [], change: 'removed' },
        });
      }
    }
    return out;
  }, [doc, placed, positions, measured, selection, figures, diff, path, editing]);

  const rfEdges = useMemo<Edge[]>(() => {
    if (!doc || !placed) return [];
    const keys = controlKeys(doc);
    const taken = new Set(path?.edges.map((e) => e.control) ?? []);
    const out: Edge[] = doc.controls.map((c, i) => {
      const change = diff?.diff.controls.get(keys[i] as string);
      const bad = (placed.controls.get(i) ?? []).length > 0;
      const classes = ['control'];
      if (bad) classes.push('has-issues');
      if (change && change !== 'same') classes.push(`diff-${change}`);
      if (taken.has(i)) classes.push('path-taken');
      const label = [c.on, c.when && `if ${c.when}`, bad && `⚠ ${(placed.controls.get(i) ?? [])[0]?.message}`].filter(Boolean).join(' · ');
      return {
        id: `c${i}`,
        source: c.from,
        target: c.to,
        label: label || undefined,
        className: classes.join(' '),
        selected: selection.kind === 'control' && selection.index === i,
        deletable: editing,
        type: 'smoothstep',
        markerEnd: { type: MarkerType.ArrowClosed },
        ariaLabel: `control ${i + 1} from ${c.from} to ${c.to}${c.on ? ` on ${c.on}` : ''}${c.when ? ` if ${c.when}` : ''}`,
        data: { index: i, change: change ?? '', issues: bad ? 'yes' : '' },
        labelBgPadding: [4, 2] as [number, number],
      };
    });
    if (diff) {
      const beforeKeys = controlKeys(diff.before);
      diff.before.controls.forEach((c, i) => {
        if (diff.diff.controls.get(beforeKeys[i] as string) !== 'removed') return;
        const source = doc.nodes.some((n) => n.id === c.from) ? c.from : `removed:${c.from}`;
        const target = doc.nodes.some((n) => n.id === c.to) ? c.to : `removed:${c.to}`;
        out.push({
          id: `removed-c${i}`,
          source,
          target,
          className: 'control diff-removed',
          label: 'removed',
          selectable: false,
          deletable: false,
          markerEnd: { type: MarkerType.ArrowClosed },
        });
      });
    }
    return out;
  }, [doc, placed, selection, diff, path, editing]);

  const onNodesChange = useCallback(
    (changes: NodeChange<Node<FlowNodeData>>[]) => {
      let nextDoc = doc;
      const nextPositions = { ...positions };
      let movedNow = false;
      const sized: Record<string, { width: number; height: number }> = {};
      for (const c of changes) {
        if (c.type === 'dimensions' && c.dimensions) sized[c.id] = c.dimensions;
        else if (c.type === 'position' && c.position) {
          nextPositions[c.id] = c.position;
          movedNow = true;
        } else if (c.type === 'select' && c.selected) setSelection({ kind: 'node', id: c.id });
        else if (c.type === 'remove' && editing && nextDoc) nextDoc = removeNode(nextDoc, c.id);
      }
      if (Object.keys(sized).length > 0) setMeasured((m) => ({ ...m, ...sized }));
      if (movedNow) {
        setPositions(nextPositions);
        setMoved(true);
      }
      if (nextDoc && nextDoc !== doc) {
        setDoc(nextDoc);
        setSelection({ kind: 'flow' });
      }
    },
    [doc, positions, editing],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let nextDoc = doc;
      const removed: number[] = [];
      for (const c of changes) {
        if (c.type === 'select' && c.selected && c.id.startsWith('c')) setSelection({ kind: 'control', index: Number(c.id.slice(1)) });
        else if (c.type === 'remove' && editing && c.id.startsWith('c')) removed.push(Number(c.id.slice(1)));
      }
      for (const i of removed.sort((a, b) => b - a)) if (nextDoc) nextDoc = removeControl(nextDoc, i);
      if (nextDoc && nextDoc !== doc) {
        setDoc(nextDoc);
        setSelection({ kind: 'flow' });
      }
    },
    [doc, editing],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (!doc || !editing || !c.source || !c.target) return;
      const from = doc.nodes.find((n) => n.id === c.source);
      const outcomes = outcomesOf(from?.type ?? '');
      // The first outcome that has no control yet; the user can change it in the inspector.
      const on =
        outcomes.length > 1
          ? (outcomes.find((o) => !doc.controls.some((x) => x.from === c.source && x.on === o)) ?? outcomes[0])
          : undefined;
      change(addControl(doc, { from: c.source, to: c.target, ...(on !== undefined && { on }) }), {
        kind: 'control',
        index: doc.controls.length,
      });
    },
    [doc, editing, change],
  );

  const older = detail ? detail.versions.filter((v) => v !== version) : [];
  const latest = detail ? Math.max(...detail.versions) : undefined;

  return (
    <div className="studio" data-role={session?.role ?? ''} data-editing={editing ? 'yes' : 'no'} data-check={checked}>
      <header className="studio-header">
        <h1>Sluice flow studio</h1>
        <form
          className="signin"
          onSubmit={(e) => {
            e.preventDefault();
            signIn();
          }}
        >
          <label>
            <span>API key</span>
            <input type="password" value={keyText} autoComplete="off" onChange={(e) => setKeyText(e.target.value)} />
          </label>
          <label>
            <span>Tenant (platform keys)</span>
            <input value={tenantText} onChange={(e) => setTenantText(e.target.value)} />
          </label>
          <button type="submit">Sign in</button>
        </form>
        <div className="role" aria-live="polite">
          {session ? (
            <>
              <span className={`role-badge role-${session.role}`}>{session.role}</span>{' '}
              {session.canEdit ? 'can edit and deploy flows' : 'can view flows (read only)'}
            </>
          ) : (
            'not signed in'
          )}
        </div>
      </header>
      <div className="studio-body">
        <nav className="flows" aria-label="flows">
          <h2>Flows</h2>
          {canEdit && (
            <button type="button" onClick={newFlow}>
              New flow
            </button>
          )}
          <ul>
            {flows.map((f) => (
              <li key={f.id}>
                <button type="button" className={doc?.id === f.id ? 'current' : ''} onClick={() => void openVersion(f.id)}>
                  <strong>{f.name}</strong>
                  <span>
                    {f.id} · v{f.latestVersion}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {detail && (
            <section aria-label="versions">
              <h3>Versions of {detail.id}</h3>
              <ul className="versions">
                {detail.versions.map((v) => (
                  <li key={v}>
                    <button type="button" aria-pressed={v === version && !editing} onClick={() => void openVersion(detail.id, v)}>
                      v{v}
                    </button>
                  </li>
                ))}
              </ul>
              <h3>Triggers</h3>
              <ul className="triggers">
                {(detail.document.triggers ?? []).map((t, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: positional
                  <li key={i}>
                    {[
                      t.intent && `intent ${[t.intent].flat().join(', ')}`,
                      t.trajectory && `IVR ${t.trajectory.join(' > ')}`,
                      t.diversion && `diversion ${[t.diversion].flat().join(', ')}`,
                      t.when && `if ${t.when}`,
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </li>
                ))}
                {(detail.document.triggers ?? []).length === 0 && <li>none: opened by id only</li>}
              </ul>
            </section>
          )}
          {doc && !editing && (
            <section aria-label="tickets">
              <h3>Open tickets (this flow)</h3>
              <ul className="tickets">
                {tickets.slice(0, 20).map((t) => (
                  <li key={t.id}>
                    <button type="button" onClick={() => void openTicket(t.id)}>
                      {t.id} · v{t.flow.version} · {t.nodeId}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </nav>
        <main className="canvas-area">
          <div className="toolbar" role="toolbar" aria-label="flow actions">
            {doc && !editing && canEdit && (
              <button type="button" onClick={startEditing}>
                Edit as new version
              </button>
            )}
            {editing &&
              NODE_TYPES.map((t) => (
                <button
                  key={t.type}
                  type="button"
                  onClick={() => {
                    if (!doc) return;
                    const n = newNode(doc, t.type);
                    change(addNode(doc, n), { kind: 'node', id: n.id });
                  }}
                >
                  Add {t.label.toLowerCase()}
                </button>
              ))}
            {editing && (
              <button type="button" className="primary" onClick={() => void deploy()}>
                Deploy
              </button>
            )}
            {editing && detail && (
              <button type="button" onClick={() => void openVersion(detail.id, version)}>
                Discard draft
              </button>
            )}
            {doc && (
              <button type="button" onClick={() => void relayout(doc, diff?.before)}>
                Auto layout
              </button>
            )}
            {doc && !editing && older.length > 0 && (
              <>
                <label htmlFor="compare-with">Compare with</label>
                <select
                  id="compare-with"
                  value={diff?.against ?? ''}
                  onChange={(e) => (e.target.value ? void compare(Number(e.target.value)) : (setDiff(undefined), void relayout(doc)))}
                >
                  <option value="">—</option>
                  {older.map((v) => (
                    <option key={v} value={v}>
                      v{v}
                    </option>
                  ))}
                </select>
              </>
            )}
            {doc && !editing && canEdit && version === latest && older.length > 0 && (
              <button type="button" onClick={() => void previewMigration()}>
                Preview migration
              </button>
            )}
            {doc && (
              <form
                className="ticket-open"
                onSubmit={(e) => {
                  e.preventDefault();
                  void openTicket(ticketText.trim());
                }}
              >
                <label>
                  <span>Ticket id</span>
                  <input value={ticketText} onChange={(e) => setTicketText(e.target.value)} />
                </label>
                <button type="submit">Show path</button>
              </form>
            )}
            {editing && (
              <span className={`check check-${checked}`} aria-live="polite">
                {checked === 'checking'
                  ? 'checking…'
                  : checked === 'valid'
                    ? 'valid: ready to deploy'
                    : checked === 'invalid'
                      ? `${issues.length} problem${issues.length === 1 ? '' : 's'}`
                      : ''}
              </span>
            )}
          </div>
          <section className="canvas" aria-label="flow graph">
            {doc ? (
              <ReactFlow
                nodes={rfNodes}
                edges={rfEdges}
                nodeTypes={nodeTypes}
                onNodesChange={onNodesChange}
                onEdgesChange={onEdgesChange}
                onConnect={onConnect}
                onPaneClick={() => setSelection({ kind: 'flow' })}
                nodesConnectable={editing}
                deleteKeyCode={editing ? ['Delete', 'Backspace'] : null}
                minZoom={0.05}
                fitView
              >
                <Background />
                <Controls />
                <MiniMap
                  pannable
                  zoomable
                  ariaLabel="minimap"
                  nodeColor={(n) => ((n.data as FlowNodeData).issues.length ? '#b3261e' : '#8fa3bf')}
                  nodeStrokeWidth={2}
                />
              </ReactFlow>
            ) : (
              <p className="empty">Pick a flow on the left{canEdit ? ', or start a new one' : ''}.</p>
            )}
          </section>
          <div className="status" role="status">
            {status}
          </div>
          {placed && editing && issues.length > 0 && (
            <section className="panel issues" aria-label="problems">
              <h2>Problems the server found</h2>
              <ul>
                {issues.map((i) => (
                  <li key={`${i.path}${i.message}`}>
                    <code>{i.path || 'flow'}</code> {i.message}
                  </li>
                ))}
              </ul>
            </section>
          )}
          {moves && (
            <section className="panel migration" aria-label="migration preview">
              <h2>Migration preview to v{doc?.version}</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Ticket</th>
                    <th scope="col">From</th>
                    <th scope="col">To</th>
                  </tr>
                </thead>
                <tbody>
                  {moves.map((m) => (
                    <tr key={m.ticketId}>
                      <td>{m.ticketId}</td>
                      <td>
                        v{m.fromVersion} {m.fromNode}
                      </td>
                      <td>{m.refused ? `stays: ${m.refused}` : m.toNode}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {canEdit && moves.some((m) => !m.refused) && (
                <button type="button" onClick={() => void migrateAll()}>
                  Migrate {moves.filter((m) => !m.refused).length} tickets
                </button>
              )}
            </section>
          )}
        </main>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take keyboard focus (WCAG 2.1.1; axe scrollable-region-focusable) when all its fields are read-only */}
        <aside className="side" aria-label="details" tabIndex={0}>
          {path && (
            <section className="panel ticket" aria-label="ticket path">
              <h2>Ticket {path.ticketId}</h2>
              <p>
                {path.state} at <strong>{path.current}</strong>
                {path.outcome && ` — ${path.outcome}`}
              </p>
              {path.sla && (
                <p className="sla">
                  SLA {path.sla.breached ? 'breached' : `${formatMs(path.sla.remainingMs)} left`} of {formatMs(path.sla.durationMs)}
                  {path.sla.paused && ' (paused)'}
                </p>
              )}
              {path.warnings.length > 0 && (
                <>
                  <h3>Warnings sent</h3>
                  <ul>
                    {path.warnings.map((w) => (
                      <li key={`${w.kind}${w.level}${w.dueAt}`}>
                        {w.kind} {w.level > 0 && `level ${w.level}`} by {w.channel} to {w.recipients.join(', ') || 'nobody'}
                      </li>
                    ))}
                  </ul>
                </>
              )}
              <h3>History</h3>
              <ol className="history">
                {path.history.map((h) => (
                  <li key={h.seq}>
                    {new Date(h.at).toISOString().slice(0, 19).replace('T', ' ')} {h.actor} {h.action} {h.node}
                    {h.toNode && ` → ${h.toNode}`}
                  </li>
                ))}
              </ol>
              <button type="button" onClick={() => setPath(undefined)}>
                Close ticket
              </button>
            </section>
          )}
          {doc && placed && (
            <Inspector
              doc={doc}
              editable={editing}
              selection={selection}
              issues={placed}
              suggestions={suggestions}
              api={api}
              onChange={change}
            />
          )}
        </aside>
      </div>
    </div>
  );
}
