import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ServicesFileError } from '../errors.js';
import { ServicesFile, type ServiceEntry } from './schema.js';

export interface ServiceCatalog {
  names(): string[];
  get(name: string): ServiceEntry | undefined;
  /** The channel for a service's incidents, else the default channel. */
  channelFor(service: string | undefined): string;
}

export function createCatalog(file: ServicesFile, defaultChannel: string): ServiceCatalog {
  const services = new Map(Object.entries(file.services));
  return {
    names: () => [...services.keys()].sort(),
    get: (name) => services.get(name),
    channelFor: (service) => (service ? services.get(service)?.channel : undefined) ?? defaultChannel,
  };
}

/** Parses the services file text; every problem names its path in the file. */
export function parseServicesFile(text: string, fileName: string): ServicesFile {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ServicesFileError(
      fileName,
      doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`),
    );
  }
  const parsed = ServicesFile.safeParse(doc.toJS() ?? {});
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
    throw new ServicesFileError(path, [`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); set SERVICES_FILE to the services catalogue`], { cause: error });
  }
  return parseServicesFile(text, path);
}
