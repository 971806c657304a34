/**
 * Pure helpers the relay and secure-node renderers share: which customers a stage puts
 * on which map, and the texthash format both Postfix and `postmap -q` read as it is.
 */
import { Customer } from "../config/model";
import { domainsOnRelay, hasSecureCredential, relayAcceptsServer } from "../config/stages";

/** One `key value` line of a lookup table. */
export type MapEntry = readonly [key: string, value: string];

// Map keys and values become whitespace-separated tokens: a space, newline or `#`
// inside one would silently add a second entry or a comment to the deployed table.
const TOKEN = /^[^\s#][^\s]*$/;

/** Throws unless `value` is a single map token; `field` names where it came from. */
export function mapToken(value: string, field: string): string {
  if (!TOKEN.test(value)) {
    throw new Error(`${field}: got ${JSON.stringify(value)}; a Postfix map token must be non-empty, without whitespace and not start with "#"`);
  }
  return value;
}

/**
 * A texthash table: read by Postfix at process start, so it needs no `postmap` step and
 * the file the component uploads is the table itself. Because it is read at start, a
 * changed map takes effect after `postfix reload` (the component must run it on upload).
 * Keys are sorted so the same customers give the same file (no spurious container update).
 */
export function renderMap(title: string, entries: readonly MapEntry[]): string {
  const lines = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k} ${v}`);
  return [`# ${title}`, ...lines, ""].join("\n");
}

/** Postfix next-hop syntax for an address that must not be MX-resolved. */
export function nextHop(address: string, port: number): string {
  const host = address.includes(":") ? `ipv6:${address}` : address;
  return `[${host}]:${port}`;
}

/** Customers whose mail server may connect to the relay (stage `network` and later). */
export function connectedCustomers(customers: readonly Customer[]): Customer[] {
  return customers.filter(relayAcceptsServer);
}

/** Customers whose domains are relay domains, recipient and sender (stage `domains-registered` on). */
export function registeredCustomers(customers: readonly Customer[]): Customer[] {
  return customers.filter(domainsOnRelay);
}

/**
 * Every registered domain with its owner. Domains are compared in lower case, as Postfix
 * folds lookup keys; one domain claimed by two customers is refused, because either
 * map line would hand one customer's mail to the other.
 */
export function domainOwners(customers: readonly Customer[]): Array<[domain: string, owner: Customer]> {
  const owners = new Map<string, Customer>();
  for (const c of registeredCustomers(customers)) {
    for (const raw of c.domains) {
      const domain = mapToken(raw.toLowerCase(), `customer ${c.slug}: domains`);
      const other = owners.get(domain);
      if (other && other !== c) {
        throw new Error(`customer ${c.slug}: domain ${domain} is already registered to customer ${other.slug}; a domain belongs to one customer, remove it from one of the two descriptors`);
      }
      owners.set(domain, c);
    }
  }
  return [...owners];
}

/**
 * Customers that authenticate on the secure nodes (stage `secure-switch` and later).
 * From that stage on the credential is required: the send connector already points at
 * the nodes, so a missing one would stop the customer's outbound mail.
 */
export type WithCredential = Customer & Required<Pick<Customer, "credential">>;

export function credentialCustomers(customers: readonly Customer[]): WithCredential[] {
  const users = new Map<string, string>();
  return customers.filter(hasSecureCredential).map((c) => {
    if (!c.credential) {
      throw new Error(`customer ${c.slug}: stage ${c.stage} needs credential.username and credential.passwordHash (handed out at secure-switch); add them to the descriptor or move the stage back`);
    }
    const { username, passwordHash } = c.credential;
    if (!/^[A-Za-z0-9._@-]+$/.test(username)) {
      throw new Error(`customer ${c.slug}: credential.username ${JSON.stringify(username)} may only hold letters, digits and . _ @ -`);
    }
    if (!/^\{SHA512-CRYPT\}\$6\$[^\s:]+$/.test(passwordHash)) {
      throw new Error(`customer ${c.slug}: credential.passwordHash must be a {SHA512-CRYPT}$6$... hash (e.g. from \`doveadm pw -s SHA512-CRYPT\`), never a password`);
    }
    const taken = users.get(username.toLowerCase());
    if (taken) {
      throw new Error(`customer ${c.slug}: credential.username ${username} is already used by customer ${taken}; every customer needs its own`);
    }
    users.set(username.toLowerCase(), c.slug);
    return c as WithCredential;
  });
}
