/**
 * Separation of duties: a flow names sets of nodes whose decisions must come from different
 * people (the four-eyes principle across approval levels). Checked when a todo is decided, against
 * who decided the ticket's earlier todos; the actor's identity comes from the credential.
 */
import type { NodeDoc, SeparationRuleDoc } from './document.js';
import type { IssueList } from './issues.js';

/** A compiled separation-of-duties rule. */
export interface CompiledDuty {
  /** Named in the refusal. */
  readonly name: string;
  /** Nodes of which one person may decide at most one, per ticket. */
  readonly nodes: ReadonlySet<string>;
}

/** What a rule needs to know of a node: whether it holds todos to decide. */
export interface DutyNode {
  readonly id: string;
  /** False for nodes without todo actions (start, notify, end). */
  readonly decides: boolean;
}

/** A decided todo, as far as the rules are concerned. */
export interface Decision {
  readonly nodeId: string;
  /** Audit id of whoever decided it (`actorId`); undefined while open or when cancelled. */
  readonly decidedBy?: string;
}

/** Why a decision is refused: the rule, and the node the same person already decided. */
export interface DutyConflict {
  readonly rule: string;
  readonly decided: string;
}

/**
 * Checks the flow's `separationOfDuties` against its nodes: rule names unique, every node listed
 * once, existing, and one that takes decisions. Linear in rules + listed nodes.
 *
 * @param nodes the nodes that compiled (`decides` known); ids missing here but present in `declared` failed on their own
 */
export function compileDuties(
  rules: readonly SeparationRuleDoc[] | undefined,
  declared: readonly NodeDoc[],
  nodes: ReadonlyMap<string, DutyNode>,
  issues: IssueList,
): CompiledDuty[] {
  const ids = new Set(declared.map((n) => n.id));
  const names = new Set<string>();
  const out: CompiledDuty[] = [];
  (rules ?? []).forEach((rule, i) => {
    const path = `separationOfDuties[${i}]`;
    if (names.has(rule.name)) issues.add(`${path}.name`, `"${rule.name}" names another rule too; rule names must be unique`);
    names.add(rule.name);
    const listed = new Set<string>();
    rule.nodes.forEach((id, j) => {
      const at = `${path}.nodes[${j}]`;
      if (listed.has(id)) issues.add(at, `node "${id}" is listed twice`);
      else if (!ids.has(id)) issues.add(at, `no node "${id}" in this flow`);
      else if (nodes.get(id)?.decides === false) issues.add(at, `node "${id}" takes no decisions (only approval and task nodes do)`);
      listed.add(id);
    });
    out.push({ name: rule.name, nodes: listed });
  });
  return out;
}

/**
 * The rule that forbids `who` deciding a todo at `nodeId`, when `who` already decided a todo at
 * another node of that rule on this ticket; undefined when every rule allows it. System actors
 * are held to the rules like people: an admin key is one identity, so it decides one level too.
 *
 * @param who the deciding actor's audit id (`actorId`)
 * @param decisions the ticket's todos (open, done or cancelled)
 */
export function dutyConflict(
  duties: readonly CompiledDuty[],
  nodeId: string,
  who: string,
  decisions: readonly Decision[],
): DutyConflict | undefined {
  for (const rule of duties) {
    if (!rule.nodes.has(nodeId)) continue;
    const earlier = decisions.find((d) => d.decidedBy === who && d.nodeId !== nodeId && rule.nodes.has(d.nodeId));
    if (earlier) return { rule: rule.name, decided: earlier.nodeId };
  }
  return undefined;
}
