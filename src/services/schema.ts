import { z } from 'zod';

const ServiceName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a service name of lower-case letters, digits, ".", "_" or "-"');

export const ServiceEntry = z.strictObject({
  channel: z
    .string()
    .regex(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123ABCD (not a #name)')
    .optional(),
  description: z.string().optional(),
});
export type ServiceEntry = z.output<typeof ServiceEntry>;

/** The services file is a public contract: a map keyed by service name. */
export const ServicesFile = z.strictObject({
  services: z.record(ServiceName, ServiceEntry).default({}),
});
export type ServicesFile = z.output<typeof ServicesFile>;
