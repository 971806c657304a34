/**
 * Messages to a customer's administrator. They are written to `.ezorg/outbox/` for the
 * service desk to send; no message ever holds a password or a private key.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Contact } from "../../components/config/model";

export interface Message {
  slug: string;
  /** e.g. `credential`, `credential-revoked`, `dkim`. */
  kind: string;
  to: Contact;
  subject: string;
  paragraphs: string[];
}

/** Delivers a message and says where it went, for the step's ✓ line. */
export type Tell = (message: Message) => Promise<string>;

export function formatMessage(m: Message): string {
  return [`To: ${m.to.name} <${m.to.email}>`, `Subject: ${m.subject}`, "", `Dear ${m.to.name},`, "", ...m.paragraphs.flatMap((p) => [p, ""]), "E-Zorg service desk", ""].join("\n");
}

/** The default {@link Tell}: one file per message under `<root>/.ezorg/outbox/`. */
export function outbox(root: string, now: () => Date = () => new Date()): Tell {
  return async (m) => {
    const dir = path.join(root, ".ezorg", "outbox");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${now().toISOString().slice(0, 10)}-${m.slug}-${m.kind}.txt`);
    writeFileSync(file, formatMessage(m));
    return `message to ${m.to.name} <${m.to.email}> in ${path.relative(root, file)}`;
  };
}
