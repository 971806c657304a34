import { DnsRecord, splitTxt } from "./records";

/** The inputs of one `cloudflare.DnsRecord`, from the provider-independent model. */
export interface CloudflareRecordInputs {
  zoneId: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  priority?: number;
  comment: string;
}

/**
 * Renders a record for Cloudflare: the full name without a trailing dot, TXT content
 * longer than 255 bytes as several quoted strings, the TTL always explicit (Cloudflare
 * would otherwise pick "automatic", which differs per plan).
 */
export function toCloudflare(record: DnsRecord, zoneId: string): CloudflareRecordInputs {
  const parts = record.type === "TXT" ? splitTxt(record.content) : [record.content];
  return {
    zoneId,
    name: record.name.replace(/\.$/, ""),
    type: record.type,
    content: parts.length > 1 ? parts.map((p) => `"${p}"`).join(" ") : parts[0],
    ttl: record.ttl,
    ...(record.type === "MX" ? { priority: record.priority } : {}),
    comment: `ezorg: ${record.purpose}`,
  };
}
