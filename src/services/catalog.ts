import { readFile } from 'node:fs/promises';
import { ServicesFileError } from '../errors.js';
import { readYaml } from '../yaml-data.js';
import { ServicesFile, type InventoryHost, type ServiceEntry } from './schema.js';

export interface ServiceCatalog {
  names(): string[];
  get(name: string): ServiceEntry | undefined;
  /** The channel for a service's incidents, else the default channel. */
  channelFor(service: string | undefined): string;
  /** The hosts listed under a service; [] for a service not in the file. */
  hostsOf(service: string): InventoryHost[];
  /** A host group and the service whose approvers, approvals and channel govern it. */
  group(name: string): { service: string; hosts: InventoryHost[] } | undefined;
  groupNames(): string[];
  /**
   * A host by its exact name, with every service that lists it directly or through a group.
   * Alert labels name hosts; only this inventory decides where SSH connects.
   */
  findHost(name: string): { host: InventoryHost; services: string[] } | undefined;
}

export function createCatalog(file: ServicesFile, defaultChannel: string): ServiceCatalog {
  const services = new Map(Object.entries(file.services));
  const groups = new Map(Object.entries(file.groups));
  const inventory = new Map<string, { host: InventoryHost; services: Set<string> }>();
  const index = (hosts: readonly InventoryHost[], service: string) => {
    for (const host of hosts) {
      const known = inventory.get(host.name) ?? { host, services: new Set<string>() };
      known.services.add(service);
      inventory.set(host.name, known);
    }
  };
  for (const [name, entry] of services) index(entry.hosts, name);
  for (const group of groups.values()) index(group.hosts, group.service);

  return {
    names: () => [...services.keys()].sort(),
    get: (name) => services.get(name),
    channelFor: (service) => (service ? services.get(service)?.channel : undefined) ?? defaultChannel,
    hostsOf: (service) => [...(services.get(service)?.hosts ?? [])],
    group: (name) => {
      const group = groups.get(name);
      return group && { service: group.service, hosts: [...group.hosts] };
    },
    groupNames: () => [...groups.keys()].sort(),
    findHost: (name) => {
      const known = inventory.get(name);
      return known && { host: known.host, services: [...known.services].sort() };
    },
  };
}

/** Parses the services file text; every problem names its path in the file. */
export function parseServicesFile(text: string, fileName: string): ServicesFile {
  const data = readYaml(text, 'services catalogue');
  if (!data.ok) {
    throw new ServicesFileError(
      fileName,
      data.problems.map((problem) => `${problem.path}: ${problem.reason}`),
    );
  }
  const parsed = ServicesFile.safeParse(data.value ?? {});
  if (!parsed.success) {
    throw new ServicesFileError(
      fileName,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

export async function loadServicesFile(path: string): Promise<ServicesFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ServicesFileError(path, [`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); set SERVICES_FILE to the services catalogue`], {
      cause: error,
    });
  }
  return parseServicesFile(text, path);
}
