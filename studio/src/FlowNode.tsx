import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import { assigneeSummary, type Change, formatMs, type Issue, type NodeDoc } from './model';

/** Live figures of a node (`GET /v1/flows/{id}/versions/{v}/figures`). */
export interface NodeFigure {
  open: number;
  paused: number;
  breaches: number;
  stays: number;
  medianMs: number;
}

/** What a drawn node carries. */
export interface FlowNodeData extends Record<string, unknown> {
  node: NodeDoc;
  issues: Issue[];
  figure?: NodeFigure;
  change?: Change;
  /** On the open ticket's path: `current` is where it is now. */
  path?: 'taken' | 'current';
}

/** A node of the flow drawn on the canvas: its type, name, SLA, issues, figures, diff and path marks. */
export function FlowNode({ data, selected }: NodeProps<Node<FlowNodeData>>) {
  const { node, issues, figure, change, path } = data;
  const classes = ['flow-node', `type-${node.type}`];
  if (issues.length > 0) classes.push('has-issues');
  if (change && change !== 'same') classes.push(`diff-${change}`);
  if (path) classes.push(`path-${path}`);
  if (selected) classes.push('selected');
  const sla = node.sla?.duration;
  return (
    <div className={classes.join(' ')} data-node-id={node.id} data-change={change ?? ''} data-path={path ?? ''}>
      {node.type !== 'start' && <Handle type="target" position={Position.Top} />}
      <div className="flow-node-head">
        <span className="flow-node-type">{node.type}</span>
        {change && change !== 'same' && <span className={`diff-badge diff-badge-${change}`}>{change}</span>}
        {path === 'current' && <span className="path-badge">ticket here</span>}
      </div>
      <div className="flow-node-name">{node.name ?? node.id}</div>
      {node.assignees && <div className="flow-node-who">{assigneeSummary(node.assignees)}</div>}
      <div className="flow-node-meta">
        <span className="flow-node-id">{node.id}</span>
        {sla !== undefined && <span className="flow-node-sla">SLA {String(sla)}</span>}
      </div>
      {figure && (
        <div className="flow-node-figures" data-open={figure.open} data-breaches={figure.breaches}>
          <span title="open tickets at this node">{figure.open} open</span>
          <span title="tickets whose SLA breached here">{figure.breaches} breached</span>
          <span title="median time spent here">{figure.stays > 0 ? `median ${formatMs(figure.medianMs)}` : 'no stays yet'}</span>
        </div>
      )}
      {issues.length > 0 && (
        <div className="flow-node-issues" role="note">
          {issues.map((i) => (
            <div key={`${i.path}${i.message}`}>{i.message}</div>
          ))}
        </div>
      )}
      {node.type !== 'end' && <Handle type="source" position={Position.Bottom} />}
    </div>
  );
}
