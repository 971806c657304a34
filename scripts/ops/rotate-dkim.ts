/**
 * `ezorg rotate dkim`: a new selector and key published next to the old one, a wait for the
 * records' TTL, the signing key switched once the new record is seen in DNS, and (with
 * `--finish`, from the overlap's end) the old selector removed. The customer stack's secret
 * `ezorg:dkimPrivateKey` holds PEM private keys: the first signs; during a rotation a second
 * one, the new key, waits there (encrypted, and resumable) until the switch.
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { promises as dns } from "node:dns";
import { Customer } from "../../components/config/model";
import { publishesNtaDns } from "../../components/config/stages";
import { DEFAULT_TTL, dkimRecord, zoneFileLine } from "../../components/dns/records";
import { addDays, isoDate, overlapEnded } from "./common";
import { Descriptor } from "./descriptor";
import { Operation, Step } from "./engine";
import { Journal } from "./journal";
import { Message, Tell } from "./notify";
import { describeChanges, StackRunner } from "./runner";

/*
 * Known shortcoming: no signer reads ezorg:dkimPrivateKey yet (the secure nodes do not sign),
 * so "switch signing" reorders the keys a future signer is to use; nothing signs today.
 * Known shortcoming: with no signing key before the rotation (a customer's first key), the
 * new key is the first one at once, so it would sign before its record's TTL has passed.
 */
export const DKIM_KEY = "ezorg:dkimPrivateKey";

const PEM_BLOCK = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----\n?/g;

/** The PEM private keys of a bundle, in order. */
export function pemKeys(bundle: string | undefined): string[] {
  return (bundle ?? "").match(PEM_BLOCK)?.map((k) => k.trimEnd() + "\n") ?? [];
}

export interface DkimKey {
  /** Base64 DER SubjectPublicKeyInfo, as the descriptor and the TXT record carry it. */
  publicKey: string;
  privateKeyPem: string;
}

export interface DkimDeps {
  runner: StackRunner;
  journal: Journal;
  customersDir: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  generateKey: () => DkimKey;
  /** TXT strings at a name, each joined from its chunks; empty when there are none. */
  lookupTxt: (name: string) => Promise<string[]>;
  tell: Tell;
}

export interface DkimRotation {
  id: string;
  resumeHint: string;
  slugs: string[];
  /** Days the old selector stays published after the switch, for mail still in queues. */
  retainDays: number;
  /** Seconds to wait after publishing; default the records' TTL. */
  ttlSeconds?: number;
}

/** RSA 2048, the size DKIM verifiers everywhere accept (RFC 8301 asks for at least 1024). */
export function generateDkimKey(): DkimKey {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { publicKey: publicKey.toString("base64"), privateKeyPem: privateKey };
}

export function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: "spki", format: "der" }).toString("base64");
}

/** `ezorg<yyyymmdd>`, with a letter added when that name is taken (two rotations a day). */
export function nextSelector(now: Date, taken: ReadonlyArray<string | undefined>): string {
  const base = `ezorg${isoDate(now).replace(/-/g, "")}`;
  for (const suffix of ["", ..."bcdefghijklmnopqrstuvwxyz"]) if (!taken.includes(base + suffix)) return base + suffix;
  throw new Error(`every selector ${base}[a-z] is taken; rotate again tomorrow`);
}

/** The system resolver's answer; none (rather than an error) when the name does not exist. */
export async function systemTxt(name: string): Promise<string[]> {
  return dns.resolveTxt(name).then((r) => r.map((chunks) => chunks.join("")), () => []);
}

/** Why a rotation may not start for this customer, or undefined (`ours`: a resumed rotation's selector). */
export function checkDkimStart(c: Customer, ours?: string): string | undefined {
  const previous = c.dkim?.previous;
  if (previous && c.dkim!.selector !== ours) {
    return `${c.slug}: selector ${previous.selector} of an earlier rotation is published until ${previous.until}; remove it with \`npx ezorg rotate dkim ${c.slug} --finish\` from that day, or continue an interrupted rotation with --resume`;
  }
  return undefined;
}

export function dkimStartOperation(r: DkimRotation, d: DkimDeps): Operation {
  const ttl = r.ttlSeconds ?? DEFAULT_TTL;
  const publish = (slug: string): Step => ({
    id: `publish:${slug}`,
    title: `publish new selector ${slug}`,
    would: `generate an RSA 2048 key, add its private half after the signing key in customer-${slug}'s ${DKIM_KEY}, add the selector to ${slug}.yaml next to the old one and run pulumi up --stack customer-${slug}`,
    run: async () => {
      const desc = Descriptor.read(d.customersDir, slug);
      let c = desc.customer;
      const ours = d.journal.get<string>(`selector:${slug}`);
      if (!ours || c.dkim?.selector !== ours) {
        const refused = checkDkimStart(c);
        if (refused) throw new Error(refused);
        const key = d.generateKey();
        const selector = nextSelector(d.now(), [c.dkim?.selector]);
        const [signing] = pemKeys(await d.runner.getSecret(`customer-${slug}`, DKIM_KEY));
        await d.runner.setSecret(`customer-${slug}`, DKIM_KEY, [signing, key.privateKeyPem].filter(Boolean).join(""));
        d.journal.set(`selector:${slug}`, selector);
        if (c.dkim) desc.set(["dkim", "previous"], { ...c.dkim, until: isoDate(addDays(d.now(), r.retainDays + Math.ceil(ttl / 86_400))) });
        desc.set(["dkim", "selector"], selector);
        desc.set(["dkim", "publicKey"], key.publicKey);
        desc.save();
        c = desc.customer;
      }
      const changes = await d.runner.up(`customer-${slug}`);
      d.journal.set(`publishedAt:${slug}`, d.now().toISOString());
      const told = c.dns.hosting === "customer" && publishesNtaDns(c) ? `; ${await d.tell(publishMessage(c))}` : "";
      const beside = c.dkim!.previous ? ` next to ${c.dkim!.previous.selector} (kept until ${c.dkim!.previous.until})` : "";
      return `selector ${c.dkim!.selector}${beside}: ${describeChanges(changes)}${told}`;
    },
  });

  const wait: Step = {
    id: "wait:ttl",
    title: "wait for the DNS TTL",
    would: `wait ${ttl} s (the records' TTL) after the last publication, so resolvers see the new selectors`,
    run: async () => {
      const times = r.slugs.map((s) => Date.parse(d.journal.get<string>(`publishedAt:${s}`) ?? ""));
      if (times.some(Number.isNaN)) throw new Error("a publication time is missing from the journal; rerun with --resume to publish again");
      const left = Math.max(...times) + ttl * 1000 - d.now().getTime();
      if (left > 0) await d.sleep(left);
      return left > 0 ? `waited ${Math.ceil(left / 60_000)} min for the TTL of ${ttl} s` : `the TTL of ${ttl} s had passed`;
    },
  };

  const swap = (slug: string): Step => ({
    id: `switch:${slug}`,
    title: `switch signing ${slug}`,
    would: `check the new selector in DNS, then leave only the new key in customer-${slug}'s ${DKIM_KEY}`,
    run: async () => {
      const c = Descriptor.read(d.customersDir, slug).customer;
      const { selector, publicKey } = c.dkim!;
      const seen = await visibleIn(c, d);
      const stack = `customer-${slug}`;
      const keys = pemKeys(await d.runner.getSecret(stack, DKIM_KEY));
      const next = keys.find((k) => publicKeyOf(k) === publicKey);
      if (!next) throw new Error(`${stack}'s ${DKIM_KEY} holds no private key for selector ${selector}; start the rotation over after --finish`);
      if (keys.length > 1 || keys[0] !== next) await d.runner.setSecret(stack, DKIM_KEY, next);
      return `signing with selector ${selector} (${seen})`;
    },
  });

  return {
    id: r.id,
    title: `DKIM rotation of ${r.slugs.length === 1 ? r.slugs[0] : `${r.slugs.length} customers`}`,
    resumeHint: r.resumeHint,
    phases: [
      { name: "publish new selectors", mode: "fleet", steps: r.slugs.map(publish) },
      { name: "wait", mode: "sequence", steps: [wait] },
      { name: "switch signing", mode: "fleet", steps: r.slugs.map(swap) },
    ],
  };
}

/** Fails unless every domain's resolver answer holds the new record. */
async function visibleIn(c: Customer, d: DkimDeps): Promise<string> {
  if (!publishesNtaDns(c)) return "not checked in DNS: nothing is published before the nta-dns stage";
  const { selector, publicKey } = c.dkim!;
  const missing: string[] = [];
  for (const domain of c.domains) {
    const want = dkimRecord(domain, selector, publicKey);
    if (!(await d.lookupTxt(want.name)).includes(want.content)) missing.push(want.name);
  }
  if (missing.length > 0) {
    const who = c.dns.hosting === "customer" ? "the customer has to publish it" : "check the customer stack's records";
    throw new Error(`not yet in DNS: ${missing.join(", ")}; ${who}, then continue with --resume`);
  }
  return `seen in DNS for ${c.domains.length} domain${c.domains.length === 1 ? "" : "s"}`;
}

export function dkimFinishOperation(r: Omit<DkimRotation, "retainDays">, d: DkimDeps): Operation {
  const retire = (slug: string): Step => ({
    id: `retire:${slug}`,
    title: `remove previous selector ${slug}`,
    would: `drop dkim.previous from ${slug}.yaml once its date has come and run pulumi up --stack customer-${slug}`,
    run: async () => {
      const desc = Descriptor.read(d.customersDir, slug);
      const c = desc.customer;
      const previous = c.dkim?.previous;
      if (previous) {
        if (!overlapEnded(previous.until, d.now())) throw new Error(`${slug}: selector ${previous.selector} stays published until ${previous.until} for mail still in transit; run --finish on or after that day`);
        const [signing] = pemKeys(await d.runner.getSecret(`customer-${slug}`, DKIM_KEY));
        if (!signing || publicKeyOf(signing) !== c.dkim!.publicKey) throw new Error(`${slug}: signing has not switched to selector ${c.dkim!.selector} yet; finish the rotation with --resume first`);
        desc.delete(["dkim", "previous"]);
        desc.save();
      }
      const changes = await d.runner.up(`customer-${slug}`);
      const told = previous && c.dns.hosting === "customer" && publishesNtaDns(c) ? `; ${await d.tell(removeMessage(c, previous.selector))}` : "";
      return `${previous ? `selector ${previous.selector} removed` : "no previous selector left"}: ${describeChanges(changes)}${told}`;
    },
  });
  return {
    id: r.id,
    title: `end of the DKIM overlap of ${r.slugs.length === 1 ? r.slugs[0] : `${r.slugs.length} customers`}`,
    resumeHint: r.resumeHint,
    phases: [{ name: "remove previous selectors", mode: "fleet", steps: r.slugs.map(retire) }],
  };
}

function publishMessage(c: Customer): Message {
  const { selector, publicKey } = c.dkim!;
  return {
    slug: c.slug,
    kind: "dkim",
    to: c.contacts.administrator,
    subject: `New DKIM record to publish (selector ${selector})`,
    paragraphs: [
      "We are renewing the key that signs your secure mail. Please add this record to each of your zones; keep the current DKIM record until we tell you it may go:",
      ...c.domains.map((domain) => zoneFileLine(dkimRecord(domain, selector, publicKey))),
      "We switch signing to the new key once the record is visible in DNS.",
    ],
  };
}

function removeMessage(c: Customer, selector: string): Message {
  return {
    slug: c.slug,
    kind: "dkim-removed",
    to: c.contacts.administrator,
    subject: `Old DKIM record may be removed (selector ${selector})`,
    paragraphs: [`Mail is now signed with selector ${c.dkim!.selector} only. You may remove these records:`, ...c.domains.map((domain) => `${selector}._domainkey.${domain}. TXT`)],
  };
}
