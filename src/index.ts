import { ContainerSpecBuilder } from './spec/builder.js';
import type { ContainerSpec as ContainerSpecData } from './spec/container-spec.js';
import { SECURE_DEFAULTS } from './spec/defaults.js';
import { validateSpec } from './spec/validate.js';

export { Berth, BUILTIN_TEMPLATES, type BerthConnectOptions } from './berth.js';
export { BerthClient, type BerthClientOptions } from './client/client.js';
export type { Session, SessionState, SessionEvent, ExecRecord } from './session/session.js';
export type { CreateSessionRequest } from './session/create-request.js';
export type {
  SessionsApi,
  ListSessionsRequest,
  SessionExecOptions,
  SessionExecStream,
  SessionLogs,
  SessionLogsOptions,
  StopSessionOptions,
} from './session/sessions-api.js';
export { startDaemon, type RunningDaemon } from './daemon.js';
export type { WorkflowsApi, WorkflowRun, WorkflowStepRecord, StartWorkflowRequest, ListWorkflowRunsRequest } from './workflow/workflow-run.js';
export type { Workflow, WorkflowStep, WorkflowMount, WorkflowLimits } from './workflow/workflow-spec.js';
export { parseWorkflow, type WorkflowProblem } from './workflow/parse-workflow.js';
export { workflowReport } from './workflow/report.js';
export { loadConfig, type DaemonConfig } from './daemon/config.js';
export { BerthError, ERROR_CODES, HTTP_STATUS, EXIT_STATUS, type ErrorCode, type FieldProblem } from './common/errors.js';
export { LABELS } from './common/labels.js';
export type { EngineInfo, EngineKind } from './engine/types.js';
export type { Container, StopOptions, StopResult, StartResult, RemoveOptions, RemoveResult, KillOptions, WaitResult } from './lifecycle/container.js';
export type { ContainerManager, ContainerListItem, ListContainersOptions, CreateContainerOptions } from './lifecycle/container-manager.js';
export type { ContainerState, ContainerStatus } from './lifecycle/container-state.js';
export type { LogsOptions, LogStreams, LogsResult } from './lifecycle/logs.js';
export type { ExecOptions } from './exec/exec-options.js';
export type { ExecStream, ExecExit } from './exec/exec-stream.js';
export type { ExecResult } from './exec/run-exec.js';
export type { PortSpec, MountSpec, HealthcheckSpec, RestartPolicySpec, LogSpec } from './spec/container-spec.js';
export { ContainerSpecBuilder, SECURE_DEFAULTS, validateSpec };

/** A container spec: plain data (the type) and its builder (the value). */
export type ContainerSpec = ContainerSpecData;
export const ContainerSpec = {
  /** A fluent builder; `build()` fills hardened defaults and validates. */
  builder: (): ContainerSpecBuilder => new ContainerSpecBuilder(),
  /** A builder starting from an existing (partial) spec. */
  from: (spec: Partial<ContainerSpecData>): ContainerSpecBuilder => ContainerSpecBuilder.from(spec),
  validate: validateSpec,
};
