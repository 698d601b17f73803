/**
 * Where a fleet action runs, decided from the runbook, the alert and the host inventory
 * (services.yaml). Pure: no I/O. An alert label never decides alone where a command goes:
 * every host must be listed in the inventory, which also gives its SSH address.
 */
import { ExecutorRefusal } from '../actions/executor.js';
import type { FleetTargets } from '../runbooks/schema.js';
import type { InventoryHost } from '../services/schema.js';
import { parseHostAddress } from './ssh-host-run.js';

/** What target resolution needs of the host inventory. */
export interface FleetInventory {
  hostsOf(service: string): InventoryHost[];
  group(name: string): { service: string; hosts: InventoryHost[] } | undefined;
  findHost(name: string): { host: InventoryHost; services: string[] } | undefined;
}

export interface TargetRequest {
  /** The service the alert names, if any. */
  service?: string;
  /** The alerts' `instance` labels. */
  instances: readonly string[];
  /** Hosts the requester named: they narrow the targets. */
  hosts: readonly string[];
}

export interface ResolvedTargets {
  /** Whose approvers decide and whose channel hears about it. */
  service: string;
  hosts: InventoryHost[];
}

/** "web-1:9100" → "web-1": the exporter's port is not part of the host. */
export function hostOfInstance(instance: string): string {
  return parseHostAddress(instance.trim()).host;
}

function listed(names: readonly string[], inventory: FleetInventory, why: string): { host: InventoryHost; services: string[] }[] {
  const unknown = names.filter((name) => !inventory.findHost(name));
  if (unknown.length > 0) {
    throw new ExecutorRefusal(
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the host inventory (hosts and groups in services.yaml), so nothing runs there (${why}).`,
    );
  }
  return names.map((name) => inventory.findHost(name) as { host: InventoryHost; services: string[] });
}

/** The one service every host belongs to, preferring the alert's; else a refusal. */
function owningService(found: readonly { host: InventoryHost; services: string[] }[], preferred: string | undefined): string {
  const [first, ...rest] = found;
  const shared = (first?.services ?? []).filter((service) => rest.every((f) => f.services.includes(service)));
  if (preferred && shared.includes(preferred)) return preferred;
  if (shared.length === 1 && shared[0]) return shared[0];
  const names = found.map((f) => f.host.name).join(', ');
  throw new ExecutorRefusal(
    shared.length === 0
      ? `${names} belong to no single service in services.yaml, so no one service's approvers can decide; name hosts of one service.`
      : `${names} belong to several services (${shared.join(', ')}); the alert names none of them, so the bot cannot tell whose approvers decide.`,
  );
}

function narrowTo(hosts: InventoryHost[], named: readonly string[]): InventoryHost[] {
  if (named.length === 0) return hosts;
  const unknown = named.filter((name) => !hosts.some((host) => host.name === name));
  if (unknown.length > 0) {
    throw new ExecutorRefusal(
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a target of this action; its targets are ${hosts.map((h) => h.name).join(', ')}.`,
    );
  }
  return hosts.filter((host) => named.includes(host.name));
}

export function resolveTargets(targets: FleetTargets, request: TargetRequest, inventory: FleetInventory): ResolvedTargets {
  if (targets.from === 'service-hosts') {
    const service = targets.service ?? request.service;
    if (!service) throw new ExecutorRefusal("This action runs on the hosts of the alert's service, and no service is named; the alert has no service label.");
    const hosts = inventory.hostsOf(service);
    if (hosts.length === 0) throw new ExecutorRefusal(`Service ${service} lists no hosts in services.yaml, so there is nowhere to run this action.`);
    return { service, hosts: narrowTo(hosts, request.hosts) };
  }
  if (targets.from === 'group') {
    const group = inventory.group(targets.group);
    if (!group) throw new ExecutorRefusal(`Host group "${targets.group}" is not defined in services.yaml (groups:).`);
    return { service: group.service, hosts: narrowTo(group.hosts, request.hosts) };
  }
  const fromAlert = [...new Set(request.instances.map(hostOfInstance).filter(Boolean))];
  if (fromAlert.length === 0 && request.hosts.length === 0) {
    throw new ExecutorRefusal('This action runs on the hosts of the alert (its instance label); there is no alert here, so name the hosts.');
  }
  const names = fromAlert.length > 0 ? fromAlert : [...new Set(request.hosts)];
  const found = listed(names, inventory, fromAlert.length > 0 ? "from the alert's instance label" : 'as named');
  const hosts = found.map((f) => f.host);
  return { service: owningService(found, request.service), hosts: fromAlert.length > 0 ? narrowTo(hosts, request.hosts) : hosts };
}
