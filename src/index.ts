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
  SessionExecStreamOptions,
  SessionLogs,
  SessionLogsOptions,
  StopSessionOptions,
} from './session/sessions-api.js';
export type { Volume, VolumeKind } from './volume/volume.js';
export type { VolumesApi, CreateVolumeRequest, ListVolumesRequest, RemoveVolumeResult, PruneVolumesResult, GcOptions, GcResult, GcEntry } from './volume/volumes-api.js';
export type { SessionVolumesRequest } from './volume/session-volumes.js';
export { DEFAULT_CLEANUP_POLICY, type CleanupPolicy, type GcReason } from './volume/cleanup-policy.js';
export type {
  Network,
  NetworkContainer,
  NetworksApi,
  CreateNetworkRequest,
  ListNetworksRequest,
  ConnectNetworkRequest,
  DisconnectNetworkRequest,
  ConnectResult,
  RemoveNetworkResult,
  PruneNetworksResult,
} from './network/networks-api.js';
export type { NetworkManager } from './network/network-manager.js';
export { NETWORK_POLICIES, type NetworkPolicy, type NetworkPolicyName, type NetworkPolicyInput } from './network/network-policy.js';
export { startDaemon, type RunningDaemon } from './daemon.js';
export type { WorkflowsApi, WorkflowRun, WorkflowStepRecord, StartWorkflowRequest, ListWorkflowRunsRequest } from './workflow/workflow-run.js';
export type { Workflow, WorkflowStep, WorkflowMount, WorkflowLimits } from './workflow/workflow-spec.js';
export { parseWorkflow, type WorkflowProblem } from './workflow/parse-workflow.js';
export { workflowReport } from './workflow/report.js';
export { loadConfig, type DaemonConfig } from './daemon/config.js';
export { BerthError, ERROR_CODES, HTTP_STATUS, EXIT_STATUS, COMMAND_EXIT, type ErrorCode, type FieldProblem } from './common/errors.js';
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
export { applyProfile, PROFILE_LABEL, type SecurityProfileName } from './security/security-profile.js';
export { MountValidator, type MountDenial, type MountRule } from './security/mount-validator.js';
export type { MountPolicy } from './security/mount-policy.js';
export type { SecurityReport, SecurityCheck } from './security/security-score.js';
export type { SecurityApi, AuditQuery } from './security/security-api.js';
export type { AuditEntry } from './store/audit-repository.js';
