// The admin API's documents the console reads (docs/admin-api.yaml).

export interface FleetInstance {
  id: string;
  model: string;
  state: string; // cold starting loading hot warm draining stopped failed
  temperature: string; // hot warm cold
  role: string; // serving standby
  busy: boolean;
  node: string;
  zone: string;
  gpus: string[];
  port: number | null;
  pid: number | null;
  since_ms: number;
}

export interface StandbyCounts {
  hot: number;
  warm: number;
  cold: number;
}

export interface FleetModel {
  name: string;
  priority: string;
  serving: number;
  hot_min: number;
  hot_max: number;
  standby: StandbyCounts;
  standby_policy: StandbyCounts;
  settled: boolean;
  crash_loop: { failures_in_a_row: number; next_start_in_ms: number };
}

export interface Gpu {
  id: string;
  node: string;
  zone: string;
  memory_gb: number;
  used_gb: number;
  reserved_gb: number;
  down: boolean;
}

export interface Failover {
  seq: number;
  model: string;
  instance: string;
  cause: string;
  zone: string;
  onset_ms: number | null;
  detected_at_ms: number;
  replacement: string | null;
  promoted_from: string | null;
  recovered_at_ms: number | null;
  restored_at_ms: number | null;
}

export interface Fleet {
  instances: FleetInstance[];
  models: FleetModel[];
  gpus: Gpu[];
  failovers: Failover[];
  down_nodes: string[];
  down_zones: string[];
  unplaced: string[];
}

export interface RoutedInstance {
  id: string;
  address: string;
  available: boolean;
  healthy: boolean;
  ejected: boolean;
  backup: boolean;
  weight: number;
  outstanding: number;
}

export interface Instances {
  models: { model: string; upstream_model: string; instances: RoutedInstance[] }[];
}

export interface Tenant {
  id: string;
  name: string;
  weight: number;
  priority: string;
  disabled: boolean;
  source: string;
}

export interface UsageRow {
  tenant: string;
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}
