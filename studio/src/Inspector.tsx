import { type ReactNode, useEffect, useId, useState } from 'react';
import type { Api } from './api';
import {
  ASSIGNEE_SOURCES,
  type AssigneeSource,
  type AssigneesDoc,
  assigneeSource,
  idOptions,
  listCompletions,
  managerOptions,
  type Option,
  refOptions,
  type Suggestions,
  withSource,
  type CalendarDoc,
  type ControlDoc,
  type FlowDoc,
  fieldsOf,
  type Issue,
  moveControl,
  NODE_TYPES,
  type NodeDoc,
  outcomesOf,
  removeControl,
  removeNode,
  type SlaDoc,
  type TriggerDoc,
  updateControl,
  updateNode,
  type WarningDoc,
  waits,
  addControl,
} from './model';

export type { Suggestions } from './model';

/** What is selected on the canvas. */
export type Selection = { kind: 'node'; id: string } | { kind: 'control'; index: number } | { kind: 'flow' };

interface Props {
  doc: FlowDoc;
  editable: boolean;
  selection: Selection;
  issues: { nodes: Map<string, Issue[]>; controls: Map<number, Issue[]>; flow: Issue[] };
  suggestions: Suggestions;
  api: Api;
  onChange: (doc: FlowDoc, select?: Selection) => void;
}

const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const REMIND_STEPS = ['preferred', 'email', 'sms', 'voice', 'wecom', 'webhook'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** A text field that reports on blur or Enter (so typing does not re-validate the flow at every key). */
function Field(props: { label: string; value: string; onCommit: (v: string) => void; disabled?: boolean; list?: string; hint?: string }) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  const commit = () => {
    if (text !== props.value) props.onCommit(text);
  };
  const hintId = useId();
  return (
    <div className="field">
      <label>
        <span>{props.label}</span>
        <input
          value={text}
          disabled={props.disabled}
          list={props.list}
          aria-describedby={props.hint ? hintId : undefined}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
          }}
        />
      </label>
      {props.hint && <small id={hintId}>{props.hint}</small>}
    </div>
  );
}

/** A `<datalist>` of suggestions, each with its label (a directory name) where it has one. */
function Suggest({ id, options }: { id: string; options: readonly Option[] }) {
  return (
    <datalist id={id}>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </datalist>
  );
}

/** A field with suggestions from `options` (a directory's people, groups, organisations…). */
function SuggestField(props: {
  label: string;
  value: string;
  options: readonly Option[];
  onCommit: (v: string) => void;
  disabled?: boolean;
  hint?: string;
}) {
  const id = useId();
  return (
    <>
      <Field label={props.label} value={props.value} list={id} disabled={props.disabled} hint={props.hint} onCommit={props.onCommit} />
      <Suggest id={id} options={props.options.slice(0, 1000)} />
    </>
  );
}

/**
 * A comma-separated list (recipients, reminder steps) that suggests the item being typed from
 * `options` and reports the list on blur or Enter.
 */
function ListField(props: {
  label: string;
  value: readonly string[];
  options: readonly Option[];
  onCommit: (v: string[]) => void;
  disabled?: boolean;
  hint?: string;
}) {
  const shown = props.value.join(', ');
  const [text, setText] = useState(shown);
  useEffect(() => setText(shown), [shown]);
  const commit = () => {
    if (list(text).join(', ') !== shown) props.onCommit(list(text));
  };
  const listId = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label>
        <span>{props.label}</span>
        <input
          value={text}
          disabled={props.disabled}
          list={listId}
          autoComplete="off"
          aria-describedby={props.hint ? hintId : undefined}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
          }}
        />
      </label>
      {props.hint && <small id={hintId}>{props.hint}</small>}
      {!props.disabled && <Suggest id={listId} options={listCompletions(text, props.options)} />}
    </div>
  );
}

function Select(props: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
  disabled?: boolean;
  labels?: Readonly<Record<string, string>>;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>
        <span>{props.label}</span>
      </label>
      <select id={id} value={props.value} disabled={props.disabled} onChange={(e) => props.onChange(e.target.value)}>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {props.labels?.[o] ?? (o === '' ? '—' : o)}
          </option>
        ))}
      </select>
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="inspector-section">
      <h3>{title}</h3>
      {children}
    </section>
  );
}

function IssueList({ issues }: { issues: Issue[] | undefined }) {
  if (!issues || issues.length === 0) return null;
  return (
    <ul className="issue-list" aria-label="problems here">
      {issues.map((i) => (
        <li key={`${i.path}${i.message}`}>
          <code>{i.path}</code> {i.message}
        </li>
      ))}
    </ul>
  );
}

/** The inspector: the selected node, control, or (nothing selected) the flow itself. */
export function Inspector(props: Props) {
  const { doc, selection } = props;
  if (selection.kind === 'node') {
    const node = doc.nodes.find((n) => n.id === selection.id);
    if (node) return <NodeInspector {...props} node={node} />;
  }
  if (selection.kind === 'control') {
    const control = doc.controls[selection.index];
    if (control) return <ControlInspector {...props} index={selection.index} control={control} />;
  }
  return <FlowInspector {...props} />;
}

function NodeInspector(props: Props & { node: NodeDoc }) {
  const { doc, node, editable, onChange, suggestions } = props;
  const set = (next: NodeDoc) => onChange(updateNode(doc, node.id, next), { kind: 'node', id: next.id });
  const assignees = node.assignees ?? {};
  const setAssignees = (a: AssigneesDoc) => set({ ...node, assignees: a });
  const sla = node.sla;
  const setSla = (s: SlaDoc | undefined) => {
    const { sla: _old, ...rest } = node;
    set(s ? { ...rest, sla: s } : (rest as NodeDoc));
  };
  const [target, setTarget] = useState('');
  const outcomes = outcomesOf(node.type);
  const [outcome, setOutcome] = useState<string>(outcomes[0] ?? '');
  useEffect(() => setOutcome(outcomesOf(node.type)[0] ?? ''), [node.type]);
  const others = doc.nodes.filter((n) => n.id !== node.id && n.type !== 'start').map((n) => n.id);
  const refs = refOptions(doc, suggestions);
  const dis = !editable;
  return (
    <section className="inspector" aria-label={`node ${node.id}`}>
      <h2>
        Node <code>{node.id}</code>
      </h2>
      <IssueList issues={props.issues.nodes.get(node.id)} />
      <Field label="Id" value={node.id} disabled={dis} onCommit={(v) => set({ ...node, id: v.trim() })} />
      <Field
        label="Name"
        value={node.name ?? ''}
        disabled={dis}
        onCommit={(v) => {
          const { name: _n, ...rest } = node;
          set(v.trim() === '' ? (rest as NodeDoc) : { ...node, name: v });
        }}
      />
      <Select
        label="Type"
        value={node.type}
        disabled={dis}
        options={NODE_TYPES.map((t) => t.type)}
        onChange={(type) => {
          const { assignees: _a, sla: _s, channel: _c, notify: _no, message: _m, ...rest } = node;
          const base = { ...rest, type } as NodeDoc;
          if (waits(type)) set({ ...base, assignees: node.assignees ?? { group: '' }, ...(node.sla && { sla: node.sla }) });
          else if (type === 'notify') set({ ...base, channel: 'message', notify: ['assignees'], message: 'Notification' });
          else set(base);
        }}
      />
      {waits(node.type) && (
        <Section title="People">
          <AssigneeEditor doc={doc} nodeId={node.id} spec={assignees} suggestions={suggestions} disabled={dis} onChange={setAssignees} />
          <label className="field checkbox">
            <input
              type="checkbox"
              checked={assignees.fallback !== undefined}
              disabled={dis}
              onChange={(e) => {
                const { fallback: _f, ...rest } = assignees;
                setAssignees(e.target.checked ? { ...rest, fallback: { group: '' } } : rest);
              }}
            />
            <span>Fall back to other people when nobody here can take it</span>
          </label>
          {assignees.fallback && (
            <fieldset className="fallback" aria-label="fallback">
              <legend>Fallback</legend>
              <AssigneeEditor
                doc={doc}
                nodeId={node.id}
                prefix="Fallback"
                spec={assignees.fallback}
                suggestions={suggestions}
                disabled={dis}
                onChange={(f) => setAssignees({ ...assignees, fallback: f })}
              />
            </fieldset>
          )}
          {suggestions.truncated && <small>The directory holds more than the suggestions list: type any id.</small>}
        </Section>
      )}
      {waits(node.type) && (
        <Section title="SLA">
          <label className="field checkbox">
            <input
              type="checkbox"
              checked={sla !== undefined}
              disabled={dis}
              onChange={(e) => setSla(e.target.checked ? { duration: '1h' } : undefined)}
            />
            <span>This node has an SLA</span>
          </label>
          {sla && (
            <>
              <Field
                label="SLA duration"
                value={String(sla.duration)}
                disabled={dis}
                onCommit={(v) => setSla({ ...sla, duration: v.trim() })}
                hint="e.g. 4h, 30m, 1h30m (working time under a calendar)"
              />
              <Select
                label="Business calendar"
                value={typeof sla.calendar === 'string' ? sla.calendar : ''}
                disabled={dis}
                options={['', ...Object.keys(doc.calendars ?? {})]}
                onChange={(v) => {
                  const { calendar: _c, ...rest } = sla;
                  setSla(v === '' ? rest : { ...rest, calendar: v });
                }}
              />
              <Field
                label="Pause on (hold statuses)"
                value={(sla.pauseOn ?? []).join(', ')}
                disabled={dis}
                onCommit={(v) => {
                  const { pauseOn: _p, ...rest } = sla;
                  setSla(list(v).length === 0 ? rest : { ...rest, pauseOn: list(v) });
                }}
              />
              <Select
                label="Breach channel"
                value={sla.breachChannel ?? ''}
                disabled={dis}
                options={['', ...suggestions.channels]}
                onChange={(v) => {
                  const { breachChannel: _b, ...rest } = sla;
                  setSla(v === '' ? rest : { ...rest, breachChannel: v });
                }}
              />
              {(sla.warnings ?? []).map((w, i) => (
                <WarningEditor
                  // biome-ignore lint/suspicious/noArrayIndexKey: warning levels are positional
                  key={i}
                  level={i + 1}
                  warning={w}
                  disabled={dis}
                  channels={suggestions.channels}
                  refs={refs}
                  onChange={(nw) => {
                    const warnings = [...(sla.warnings ?? [])];
                    if (nw) warnings[i] = nw;
                    else warnings.splice(i, 1);
                    const { warnings: _w, ...rest } = sla;
                    setSla(warnings.length === 0 ? rest : { ...rest, warnings });
                  }}
                />
              ))}
              {!dis && (
                <button
                  type="button"
                  onClick={() => setSla({ ...sla, warnings: [...(sla.warnings ?? []), { delay: '30m', channel: 'message' }] })}
                >
                  Add warning level
                </button>
              )}
            </>
          )}
        </Section>
      )}
      {node.type === 'notify' && (
        <Section title="Notification">
          <Select
            label="Channel"
            value={String(node.channel ?? 'message')}
            disabled={dis}
            options={suggestions.channels}
            onChange={(v) => set({ ...node, channel: v })}
          />
          <ListField
            label="Recipients (refs, comma separated)"
            value={(node.notify as string[] | undefined) ?? []}
            options={refs}
            disabled={dis}
            hint="assignees, group:…, user:…, head:<organisation>, manager:creator, manager:decider:<node>, role:…"
            onCommit={(v) => set({ ...node, notify: v })}
          />
          <Field label="Message" value={String(node.message ?? '')} disabled={dis} onCommit={(v) => set({ ...node, message: v })} />
        </Section>
      )}
      {doc.controls.some((c) => c.from === node.id) && (
        <Section title="Controls leaving this node">
          <ul className="control-list">
            {doc.controls.map((c, i) =>
              c.from === node.id ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: controls are positional
                <li key={i}>
                  <button type="button" onClick={() => onChange(doc, { kind: 'control', index: i })}>
                    Control {i + 1}: to {c.to}
                    {c.on ? ` on ${c.on}` : ''}
                    {c.when ? ` if ${c.when}` : ''}
                  </button>
                </li>
              ) : null,
            )}
          </ul>
        </Section>
      )}
      {editable && node.type !== 'end' && (
        <Section title="Connect">
          <Select label="Connect to" value={target} options={['', ...others]} onChange={setTarget} />
          {outcomes.length > 1 && <Select label="On outcome" value={outcome} options={outcomes} onChange={setOutcome} />}
          <button
            type="button"
            disabled={target === ''}
            onClick={() => {
              const c: ControlDoc = { from: node.id, to: target, ...(outcomes.length > 1 && { on: outcome }) };
              onChange(addControl(doc, c), { kind: 'control', index: doc.controls.length });
            }}
          >
            Add control
          </button>
        </Section>
      )}
      {editable && (
        <button type="button" className="danger" onClick={() => onChange(removeNode(doc, node.id), { kind: 'flow' })}>
          Delete node
        </button>
      )}
    </section>
  );
}

const SOURCE_LABELS: Record<AssigneeSource, string> = {
  group: 'a group (its members)',
  user: 'one person',
  organisation: 'an organisation (its members)',
  head: 'the head of an organisation',
  manager: 'a manager (of a decider, the creator…)',
  expression: 'a people expression (CEL)',
};
const SOURCE_FIELDS: Record<AssigneeSource, string> = {
  group: 'group',
  user: 'user',
  organisation: 'organisation',
  head: 'head of organisation',
  manager: 'manager of',
  expression: 'people expression (CEL)',
};
const STRATEGY_LABELS: Record<string, string> = {
  '': '— (round-robin)',
  'round-robin': 'round-robin',
  'least-loaded': 'least-loaded',
  'skill-match': 'skill-match (skills and attributes)',
};

/** `key=value, key=value` ⇄ an attributes record. */
const attributesText = (a: Record<string, string> | undefined): string =>
  Object.entries(a ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
function parseAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list(text)) {
    const eq = item.indexOf('=');
    out[(eq < 0 ? item : item.slice(0, eq)).trim()] = eq < 0 ? '' : item.slice(eq + 1).trim();
  }
  return out;
}

/**
 * One assignee spec: where people come from (group, user, organisation, head of an organisation,
 * manager of the creator / a node's decider / a person, or an expression), how one is picked
 * (strategy, capacity, skills and attributes) and how they are reminded. Labels carry `prefix`
 * (`Fallback`) so the fallback's fields are told apart.
 */
function AssigneeEditor(props: {
  doc: FlowDoc;
  nodeId: string;
  spec: AssigneesDoc;
  suggestions: Suggestions;
  disabled: boolean;
  prefix?: string;
  onChange: (spec: AssigneesDoc) => void;
}) {
  const { doc, spec, suggestions, disabled: dis, onChange } = props;
  const label = (text: string) => (props.prefix ? `${props.prefix} ${text}` : `${text[0]?.toUpperCase()}${text.slice(1)}`);
  const source = assigneeSource(spec);
  const value = String(spec[source] ?? '');
  const drop = (k: keyof AssigneesDoc): AssigneesDoc => {
    const copy = { ...spec };
    delete copy[k];
    return copy;
  };
  const managerChoices = managerOptions(doc, suggestions, props.nodeId).filter(
    (o) => o.value === 'creator' || o.value.startsWith('decider:'),
  );
  const managerOf = value === 'creator' || value.startsWith('decider:') ? value : 'person';
  const skillMatch = spec.strategy === 'skill-match';
  return (
    <>
      <Select
        label={label('assign to')}
        value={source}
        disabled={dis}
        options={ASSIGNEE_SOURCES}
        labels={SOURCE_LABELS}
        onChange={(k) => onChange(withSource(spec, k as AssigneeSource, k === 'manager' ? (managerChoices[1]?.value ?? 'creator') : ''))}
      />
      {source === 'manager' ? (
        <>
          <Select
            label={label('manager of')}
            value={managerOf}
            disabled={dis}
            options={[...new Set([...managerChoices.map((o) => o.value), ...(managerOf === 'person' ? [] : [managerOf]), 'person'])]}
            labels={{
              ...Object.fromEntries(managerChoices.map((o) => [o.value, o.label ?? o.value])),
              person: 'a person…',
            }}
            onChange={(v) => onChange({ ...spec, manager: v === 'person' ? '' : v })}
          />
          {managerOf === 'person' && (
            <SuggestField
              label={label('manager of person')}
              value={value}
              options={idOptions(suggestions, 'user')}
              disabled={dis}
              hint="a person id: their explicit manager, else the head of their organisation, up the tree"
              onCommit={(v) => onChange({ ...spec, manager: v.trim() })}
            />
          )}
        </>
      ) : source === 'expression' ? (
        <Field
          label={label(SOURCE_FIELDS.expression)}
          value={value}
          disabled={dis}
          hint="returns a user id, a ref such as group:billing or head:sales, or a list of them"
          onCommit={(v) => onChange({ ...spec, expression: v.trim() })}
        />
      ) : (
        <SuggestField
          label={label(SOURCE_FIELDS[source])}
          value={value}
          options={idOptions(suggestions, source === 'head' ? 'organisation' : source)}
          disabled={dis}
          {...(source === 'head' && { hint: 'an organisation id: its head (department head) takes the todo' })}
          onCommit={(v) => onChange({ ...spec, [source]: v.trim() })}
        />
      )}
      <Select
        label={label('strategy')}
        value={spec.strategy ?? ''}
        disabled={dis}
        options={['', 'round-robin', 'least-loaded', 'skill-match']}
        labels={STRATEGY_LABELS}
        onChange={(v) => onChange(v === '' ? drop('strategy') : { ...spec, strategy: v })}
      />
      <Field
        label={label('capacity (open todos per person)')}
        value={spec.capacity === undefined ? '' : String(spec.capacity)}
        disabled={dis}
        onCommit={(v) => onChange(v.trim() === '' ? drop('capacity') : { ...spec, capacity: Number(v) })}
      />
      {(skillMatch || spec.skills !== undefined || spec.attributes !== undefined) && (
        <>
          <Field
            label={label('skills')}
            value={(spec.skills ?? []).join(', ')}
            disabled={dis}
            hint="comma separated; a person needs all of them"
            onCommit={(v) => onChange(list(v).length === 0 ? drop('skills') : { ...spec, skills: list(v) })}
          />
          <Field
            label={label('attributes')}
            value={attributesText(spec.attributes)}
            disabled={dis}
            hint="key=value, comma separated (e.g. site=berlin); matched by skill-match"
            onCommit={(v) => onChange(list(v).length === 0 ? drop('attributes') : { ...spec, attributes: parseAttributes(v) })}
          />
        </>
      )}
      <ListField
        label={label('remind by')}
        value={spec.remind ?? []}
        options={(suggestions.remind ?? REMIND_STEPS).map((r) => ({
          value: r,
          ...(r === 'preferred' && { label: "the person's own order" }),
        }))}
        disabled={dis}
        hint="channels tried in order; empty: preferred, email"
        onCommit={(v) => onChange(v.length === 0 ? drop('remind') : { ...spec, remind: v })}
      />
    </>
  );
}

function WarningEditor(props: {
  level: number;
  warning: WarningDoc;
  disabled: boolean;
  channels: string[];
  refs: readonly Option[];
  onChange: (w: WarningDoc | undefined) => void;
}) {
  const { warning: w, disabled: dis, onChange } = props;
  const drop = <K extends keyof WarningDoc>(k: K): WarningDoc => {
    const copy = { ...w };
    delete copy[k];
    return copy;
  };
  return (
    <fieldset className="warning" aria-label={`warning level ${props.level}`}>
      <legend>Warning level {props.level}</legend>
      <Field
        label={`Level ${props.level} delay`}
        value={String(w.delay)}
        disabled={dis}
        onCommit={(v) => onChange({ ...w, delay: v.trim() })}
      />
      <Select
        label={`Level ${props.level} channel`}
        value={w.channel}
        disabled={dis}
        options={props.channels}
        onChange={(v) => onChange({ ...w, channel: v })}
      />
      <ListField
        label={`Level ${props.level} recipients`}
        value={w.notify ?? []}
        options={props.refs}
        disabled={dis}
        hint="assignees, group:…, user:…, head:<organisation>, manager:decider:<node>, role:… (empty: the assignees)"
        onCommit={(v) => onChange(v.length === 0 ? drop('notify') : { ...w, notify: v })}
      />
      <Field
        label={`Level ${props.level} repeats`}
        value={w.repeat === undefined ? '' : String(w.repeat)}
        disabled={dis}
        onCommit={(v) => onChange(v.trim() === '' ? drop('repeat') : { ...w, repeat: Number(v) })}
      />
      <Field
        label={`Level ${props.level} repeat interval`}
        value={w.interval === undefined ? '' : String(w.interval)}
        disabled={dis}
        onCommit={(v) => onChange(v.trim() === '' ? drop('interval') : { ...w, interval: v.trim() })}
      />
      {!dis && (
        <button type="button" onClick={() => onChange(undefined)}>
          Remove level {props.level}
        </button>
      )}
    </fieldset>
  );
}

function ControlInspector(props: Props & { index: number; control: ControlDoc }) {
  const { doc, index, control, editable, onChange, api } = props;
  const dis = !editable;
  const set = (c: ControlDoc) => onChange(updateControl(doc, index, c), { kind: 'control', index });
  const from = doc.nodes.find((n) => n.id === control.from);
  const outcomes = outcomesOf(from?.type ?? '');
  const [when, setWhen] = useState(control.when ?? '');
  useEffect(() => setWhen(control.when ?? ''), [control.when]);
  const [sample, setSample] = useState('{"amount": 900}');
  const [tried, setTried] = useState<string>('');
  const [field, setField] = useState('');
  const fields = [...new Set(['fields.amount', ...fieldsOf(doc)])].sort();
  const commitWhen = (text: string) => {
    if (text === (control.when ?? '')) return;
    const { when: _w, ...rest } = control;
    set(text.trim() === '' ? rest : { ...rest, when: text });
  };
  return (
    <section className="inspector" aria-label={`control ${index + 1}`}>
      <h2>
        Control {index + 1}: <code>{control.from}</code> → <code>{control.to}</code>
      </h2>
      <IssueList issues={props.issues.controls.get(index)} />
      <Select
        label="From"
        value={control.from}
        disabled={dis}
        options={doc.nodes.map((n) => n.id)}
        onChange={(v) => set({ ...control, from: v })}
      />
      <Select
        label="To"
        value={control.to}
        disabled={dis}
        options={doc.nodes.map((n) => n.id)}
        onChange={(v) => set({ ...control, to: v })}
      />
      <Select
        label="On outcome"
        value={control.on ?? ''}
        disabled={dis}
        options={['', ...outcomes]}
        onChange={(v) => {
          const { on: _o, ...rest } = control;
          set(v === '' ? rest : { ...rest, on: v });
        }}
      />
      <label className="field">
        <span>Condition (CEL)</span>
        <input
          aria-describedby="condition-hint"
          value={when}
          disabled={dis}
          placeholder="none: the default for this outcome"
          onChange={(e) => {
            setWhen(e.target.value);
          }}
          onBlur={() => commitWhen(when)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commitWhen(when);
          }}
        />
      </label>
      <small id="condition-hint">Controls are tried in order; the last one for an outcome must have no condition.</small>
      {!dis && (
        <div className="row">
          <Select label="Field" value={field} options={['', ...fields]} onChange={setField} />
          <button
            type="button"
            disabled={field === ''}
            onClick={() => {
              const next = `${when}${when && !when.endsWith(' ') ? ' ' : ''}${field}`;
              setWhen(next);
              commitWhen(next);
            }}
          >
            Insert field
          </button>
        </div>
      )}
      <Section title="Try it">
        <label className="field">
          <span>Sample fields (JSON)</span>
          <textarea value={sample} rows={3} onChange={(e) => setSample(e.target.value)} />
        </label>
        <button
          type="button"
          disabled={when.trim() === ''}
          onClick={async () => {
            let fieldsValue: unknown;
            try {
              fieldsValue = JSON.parse(sample);
            } catch {
              setTried('sample fields: not valid JSON');
              return;
            }
            try {
              const r = await api.post<{ valid: boolean; value?: boolean; error?: string }>('/v1/flows/evaluate', {
                expression: when,
                fields: fieldsValue,
              });
              setTried(r.error ?? `→ ${String(r.value)}`);
            } catch (err) {
              setTried((err as Error).message);
            }
          }}
        >
          Evaluate
        </button>
        <output className="try-result" aria-live="polite">
          {tried}
        </output>
      </Section>
      {editable && (
        <div className="row">
          <button type="button" onClick={() => onChange(moveControl(doc, index, -1), { kind: 'control', index: Math.max(0, index - 1) })}>
            Try earlier
          </button>
          <button
            type="button"
            onClick={() => onChange(moveControl(doc, index, 1), { kind: 'control', index: Math.min(doc.controls.length - 1, index + 1) })}
          >
            Try later
          </button>
          <button type="button" className="danger" onClick={() => onChange(removeControl(doc, index), { kind: 'flow' })}>
            Delete control
          </button>
        </div>
      )}
    </section>
  );
}

function FlowInspector(props: Props) {
  const { doc, editable, onChange, api } = props;
  const dis = !editable;
  const set = (d: FlowDoc) => onChange(d, { kind: 'flow' });
  const triggers = doc.triggers ?? [];
  const setTriggers = (t: TriggerDoc[]) => {
    const { triggers: _t, ...rest } = doc;
    set(t.length === 0 ? (rest as FlowDoc) : { ...doc, triggers: t });
  };
  const calendars = doc.calendars ?? {};
  const [calendarName, setCalendarName] = useState('');
  const [test, setTest] = useState({ intent: '', trajectory: '', fields: '{"amount": 900}' });
  const [picked, setPicked] = useState('');
  return (
    <section className="inspector" aria-label="flow">
      <h2>
        Flow <code>{doc.id}</code> v{doc.version}
      </h2>
      <IssueList issues={props.issues.flow} />
      <Field label="Flow id" value={doc.id} disabled={dis} onCommit={(v) => set({ ...doc, id: v.trim() })} />
      <Field label="Flow name" value={doc.name} disabled={dis} onCommit={(v) => set({ ...doc, name: v })} />
      <Field
        label="Description"
        value={doc.description ?? ''}
        disabled={dis}
        onCommit={(v) => {
          const { description: _d, ...rest } = doc;
          set(v.trim() === '' ? (rest as FlowDoc) : { ...doc, description: v });
        }}
      />
      <Section title="Triggers">
        {triggers.map((t, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: triggers are positional
          <fieldset key={i} className="trigger">
            <legend>Trigger {i + 1}</legend>
            <Field
              label={`Trigger ${i + 1} intents`}
              value={[t.intent ?? []].flat().join(', ')}
              disabled={dis}
              onCommit={(v) => {
                const { intent: _x, ...rest } = t;
                setTriggers(triggers.map((x, j) => (j === i ? (list(v).length ? { ...rest, intent: list(v) } : rest) : x)));
              }}
            />
            <Field
              label={`Trigger ${i + 1} IVR trajectory`}
              value={(t.trajectory ?? []).join(' > ')}
              disabled={dis}
              hint="steps separated by >, * = one step, ** = any number"
              onCommit={(v) => {
                const steps = v
                  .split('>')
                  .map((s) => s.trim())
                  .filter((s) => s !== '');
                const { trajectory: _x, ...rest } = t;
                setTriggers(triggers.map((x, j) => (j === i ? (steps.length ? { ...rest, trajectory: steps } : rest) : x)));
              }}
            />
            <Field
              label={`Trigger ${i + 1} condition`}
              value={t.when ?? ''}
              disabled={dis}
              onCommit={(v) => {
                const { when: _x, ...rest } = t;
                setTriggers(triggers.map((x, j) => (j === i ? (v.trim() ? { ...rest, when: v } : rest) : x)));
              }}
            />
            {!dis && (
              <button type="button" onClick={() => setTriggers(triggers.filter((_, j) => j !== i))}>
                Remove trigger {i + 1}
              </button>
            )}
          </fieldset>
        ))}
        {!dis && (
          <button type="button" onClick={() => setTriggers([...triggers, {}])}>
            Add trigger
          </button>
        )}
        <fieldset className="trigger-test">
          <legend>Which flow would open?</legend>
          <Field label="Test intent" value={test.intent} onCommit={(v) => setTest({ ...test, intent: v })} />
          <Field label="Test trajectory" value={test.trajectory} onCommit={(v) => setTest({ ...test, trajectory: v })} />
          <Field label="Test fields (JSON)" value={test.fields} onCommit={(v) => setTest({ ...test, fields: v })} />
          <button
            type="button"
            onClick={async () => {
              try {
                const trajectory = test.trajectory
                  .split('>')
                  .map((s) => s.trim())
                  .filter(Boolean);
                const r = await api.post<{ match: { id: string; version: number } | null }>('/v1/flows/trigger-test', {
                  ...(test.intent.trim() && { intent: test.intent.trim() }),
                  ...(trajectory.length && { trajectory }),
                  fields: JSON.parse(test.fields || '{}'),
                  ...(editable && { draft: (({ tenant: _t, ...d }) => d)(doc) }),
                });
                setPicked(r.match ? `opens ${r.match.id} v${r.match.version}` : 'no flow would open');
              } catch (err) {
                setPicked((err as Error).message);
              }
            }}
          >
            Test triggers
          </button>
          <output aria-live="polite" className="try-result">
            {picked}
          </output>
        </fieldset>
      </Section>
      <Section title="Business calendars">
        {Object.entries(calendars).map(([name, cal]) => (
          <CalendarEditor
            key={name}
            name={name}
            calendar={cal}
            disabled={dis}
            onChange={(c) => {
              const next = { ...calendars };
              if (c) next[name] = c;
              else delete next[name];
              const { calendars: _c, ...rest } = doc;
              set(Object.keys(next).length ? { ...doc, calendars: next } : (rest as FlowDoc));
            }}
          />
        ))}
        {!dis && (
          <div className="row">
            <Field label="New calendar name" value={calendarName} onCommit={setCalendarName} />
            <button
              type="button"
              disabled={calendarName.trim() === '' || calendars[calendarName.trim()] !== undefined}
              onClick={() => {
                set({ ...doc, calendars: { ...calendars, [calendarName.trim()]: { utcOffset: '+00:00', workingHours: {} } } });
                setCalendarName('');
              }}
            >
              Add calendar
            </button>
          </div>
        )}
      </Section>
      <Section title="Permissions">
        {(['start', 'view', 'admin'] as const).map((k) => (
          <Field
            key={k}
            label={`Who may ${k === 'admin' ? 'administer' : k}`}
            value={(doc.permissions?.[k] ?? []).join(', ')}
            disabled={dis}
            hint={k === 'start' || k === 'view' ? 'empty: everyone (*)' : 'empty: system actors only'}
            onCommit={(v) => {
              const p = { ...(doc.permissions ?? {}) };
              if (list(v).length) p[k] = list(v);
              else delete p[k];
              const { permissions: _p, ...rest } = doc;
              set(Object.keys(p).length ? { ...doc, permissions: p } : (rest as FlowDoc));
            }}
          />
        ))}
      </Section>
      <Section title="Separation of duties">
        {(doc.separationOfDuties ?? []).map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rules are positional
          <fieldset key={i}>
            <legend>Rule {i + 1}</legend>
            <Field
              label={`Rule ${i + 1} name`}
              value={r.name}
              disabled={dis}
              onCommit={(v) =>
                set({ ...doc, separationOfDuties: (doc.separationOfDuties ?? []).map((x, j) => (j === i ? { ...x, name: v } : x)) })
              }
            />
            <Field
              label={`Rule ${i + 1} nodes`}
              value={r.nodes.join(', ')}
              disabled={dis}
              onCommit={(v) =>
                set({ ...doc, separationOfDuties: (doc.separationOfDuties ?? []).map((x, j) => (j === i ? { ...x, nodes: list(v) } : x)) })
              }
            />
          </fieldset>
        ))}
        {!dis && (
          <button
            type="button"
            onClick={() =>
              set({
                ...doc,
                separationOfDuties: [
                  ...(doc.separationOfDuties ?? []),
                  { name: `rule-${(doc.separationOfDuties ?? []).length + 1}`, nodes: [] },
                ],
              })
            }
          >
            Add rule
          </button>
        )}
      </Section>
    </section>
  );
}

function CalendarEditor(props: { name: string; calendar: CalendarDoc; disabled: boolean; onChange: (c: CalendarDoc | undefined) => void }) {
  const { name, calendar: c, disabled: dis, onChange } = props;
  return (
    <fieldset className="calendar" aria-label={`calendar ${name}`}>
      <legend>Calendar {name}</legend>
      <Field
        label={`${name} UTC offset`}
        value={c.utcOffset ?? ''}
        disabled={dis}
        onCommit={(v) => onChange({ ...c, utcOffset: v.trim() })}
      />
      {DAYS.map((d) => (
        <Field
          key={d}
          label={`${name} ${d} hours`}
          value={(c.workingHours[d] ?? []).join(', ')}
          disabled={dis}
          onCommit={(v) => {
            const hours = { ...c.workingHours };
            if (list(v).length) hours[d] = list(v);
            else delete hours[d];
            onChange({ ...c, workingHours: hours });
          }}
        />
      ))}
      <Field
        label={`${name} holidays`}
        value={(c.holidays ?? []).join(', ')}
        disabled={dis}
        hint="dates YYYY-MM-DD, comma separated"
        onCommit={(v) => {
          const { holidays: _h, ...rest } = c;
          onChange(list(v).length ? { ...rest, holidays: list(v) } : rest);
        }}
      />
      {!dis && (
        <button type="button" onClick={() => onChange(undefined)}>
          Remove calendar {name}
        </button>
      )}
    </fieldset>
  );
}
