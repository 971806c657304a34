/**
 * `ezorg rotate credential`: a new SMTP password for a customer without a moment in which
 * the password it uses is refused. The new hash goes into the descriptor with the old one
 * kept as `previous` (the nodes accept both), the platform is rolled out, and only then is
 * the customer told. `--finish`, from the overlap's end, drops the old hash and rolls out.
 */
import { randomInt } from "node:crypto";
import { $ } from "zx";
import { Customer, PlatformConfig } from "../../components/config/model";
import { addDays, isoDate, overlapEnded } from "./common";
import { Descriptor } from "./descriptor";
import { Operation, Phase, Step } from "./engine";
import { Journal } from "./journal";
import { Message, Tell } from "./notify";
import { StackRunner } from "./runner";

/*
 * Known shortcoming: the customer stack's `smtpPassword` output shows the new password only
 * after that stack's next `pulumi up`; the rotation updates its config, not its outputs.
 */
export const SMTP_PASSWORD_KEY = "ezorg:smtpPassword";

export interface CredentialDeps {
  runner: StackRunner;
  journal: Journal;
  customersDir: string;
  now: () => Date;
  newPassword: () => string;
  /** `{SHA512-CRYPT}$6$salt$hash` of a password. */
  hash: (password: string) => Promise<string>;
  verify: (password: string, hash: string) => Promise<boolean>;
  tell: Tell;
  /**
   * Shows the new password to the operator, once; returns the ✓ line's words, which must not
   * hold the password (they go into the journal).
   */
  reveal: (slug: string, username: string, password: string) => string;
}

export interface CredentialRotation {
  /** Journal name and the command that continues it. */
  id: string;
  resumeHint: string;
  slugs: string[];
  platform: PlatformConfig;
  /** The rollout of the platform stack the customers are on (rollout.ts). */
  rollout: Phase;
  /** Days both passwords work. */
  overlapDays: number;
}

// Read out over the telephone: letters and digits only, none that look alike (0 O o 1 l I).
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/** 32 characters of 56: about 186 bits, nothing a command line or a connector form misreads. */
export function randomPassword(): string {
  return Array.from({ length: 32 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
}

/*
 * OpenSSL (1.1.1 or later) computes SHA512-CRYPT exactly as Dovecot checks it; the password
 * goes in on standard input, never on a command line the process list shows.
 */
export async function sha512Crypt(password: string, salt?: string): Promise<string> {
  const salted = salt ? ["-salt", salt] : [];
  const out = await $({ input: `${password}\n`, quiet: true })`openssl passwd -6 ${salted} -stdin`;
  return `{SHA512-CRYPT}${out.stdout.trim()}`;
}

export async function verifySha512Crypt(password: string, hash: string): Promise<boolean> {
  const salt = /^\{SHA512-CRYPT\}\$6\$([^$]+)\$/.exec(hash)?.[1];
  return salt !== undefined && (await sha512Crypt(password, salt)) === hash;
}

/**
 * Why a rotation may not start for this customer, or undefined. `ours`: the new hash a
 * resumed rotation journaled, whose overlap is its own to continue.
 */
export function checkStart(c: Customer, ours?: string): string | undefined {
  if (!c.credential) return `${c.slug}: has no credential to rotate; the first one is handed out at the secure-switch stage`;
  if (c.credential.previous && c.credential.passwordHash !== ours) {
    return `${c.slug}: an overlap is already running (the previous password works until ${c.credential.previous.until}); finish it with \`npx ezorg rotate credential ${c.slug} --finish\` from that day, or continue an interrupted rotation with --resume`;
  }
  return undefined;
}

/** Why the overlap may not end yet for this customer, or undefined. */
export function checkFinish(c: Customer, now: Date): string | undefined {
  const previous = c.credential?.previous;
  if (previous && !overlapEnded(previous.until, now)) {
    return `${c.slug}: the overlap runs until ${previous.until} and the customer may still use the previous password; run --finish on or after that day`;
  }
  return undefined;
}

export function credentialStartOperation(r: CredentialRotation, d: CredentialDeps): Operation {
  const prepare = (slug: string): Step => ({
    id: `prepare:${slug}`,
    title: `new credential ${slug}`,
    would: `generate a password, store it in customer-${slug}'s secret config, put its hash in ${slug}.yaml and keep the old hash as previous for ${r.overlapDays} days`,
    run: async () => {
      const desc = Descriptor.read(d.customersDir, slug);
      const c = desc.customer;
      const ours = d.journal.get<string>(`newHash:${slug}`);
      if (ours && c.credential?.passwordHash === ours) return "the descriptor already holds the new hash";
      const refused = checkStart(c);
      if (refused) throw new Error(refused);
      const password = d.newPassword();
      const hash = await d.hash(password);
      await d.runner.setSecret(`customer-${slug}`, SMTP_PASSWORD_KEY, password);
      // Journaled before the descriptor changes, so a rerun recognises the edit as its own.
      d.journal.set(`newHash:${slug}`, hash);
      const until = isoDate(addDays(d.now(), r.overlapDays));
      desc.set(["credential", "previous"], { passwordHash: c.credential!.passwordHash, until });
      desc.set(["credential", "passwordHash"], hash);
      desc.save();
      return `new hash in ${slug}.yaml, the old one accepted until ${until}; the password is in customer-${slug}'s secret config`;
    },
  });

  const tell = (slug: string): Step => ({
    id: `tell:${slug}`,
    title: `tell ${slug}`,
    would: `write the administrator that the new password works and the old one until the overlap ends`,
    run: async () => {
      const c = Descriptor.read(d.customersDir, slug).customer;
      const password = await d.runner.getSecret(`customer-${slug}`, SMTP_PASSWORD_KEY);
      // Never hand out a password the nodes would refuse.
      if (!password || !(await d.verify(password, c.credential!.passwordHash))) {
        throw new Error(`customer-${slug}'s ${SMTP_PASSWORD_KEY} does not match the hash in ${slug}.yaml; nothing was told: start the rotation over after --finish`);
      }
      const where = await d.tell(newPasswordMessage(c, r.platform));
      return `${where}; ${d.reveal(slug, c.credential!.username, password)}`;
    },
  });

  return {
    id: r.id,
    title: `credential rotation of ${label(r.slugs)}`,
    resumeHint: r.resumeHint,
    phases: [
      { name: "new credentials", mode: "fleet", steps: r.slugs.map(prepare) },
      r.rollout,
      { name: "tell the customers", mode: "fleet", steps: r.slugs.map(tell) },
    ],
  };
}

export function credentialFinishOperation(r: Omit<CredentialRotation, "overlapDays">, d: CredentialDeps): Operation {
  const revoke = (slug: string): Step => ({
    id: `revoke:${slug}`,
    title: `revoke previous ${slug}`,
    would: `drop credential.previous from ${slug}.yaml once its overlap has ended`,
    run: async () => {
      const desc = Descriptor.read(d.customersDir, slug);
      const c = desc.customer;
      if (!c.credential?.previous) return "no previous hash left in the descriptor";
      const refused = checkFinish(c, d.now());
      if (refused) throw new Error(refused);
      desc.delete(["credential", "previous"]);
      desc.save();
      return `previous hash (overlap until ${c.credential.previous.until}) dropped from ${slug}.yaml`;
    },
  });
  const tell = (slug: string): Step => ({
    id: `tell-revoked:${slug}`,
    title: `tell ${slug}`,
    would: "write the administrator that the previous password no longer works",
    run: async () => d.tell(revokedMessage(Descriptor.read(d.customersDir, slug).customer, r.platform)),
  });
  return {
    id: r.id,
    title: `end of the credential overlap of ${label(r.slugs)}`,
    resumeHint: r.resumeHint,
    phases: [
      { name: "revoke previous credentials", mode: "fleet", steps: r.slugs.map(revoke) },
      r.rollout,
      { name: "tell the customers", mode: "fleet", steps: r.slugs.map(tell) },
    ],
  };
}

function newPasswordMessage(c: Customer, p: PlatformConfig): Message {
  const { username, previous } = c.credential!;
  const admin = c.contacts.administrator;
  return {
    slug: c.slug,
    kind: "credential",
    to: admin,
    subject: `New password for secure mail (${p.secureNodes.hostname})`,
    paragraphs: [
      `The secure mail servers ${p.secureNodes.hostname} (port ${p.secureNodes.port}) now accept a new password for the user name ${username}. We will give it to you by telephone on ${admin.phone}; it is never sent by e-mail.`,
      previous
        ? `Please enter it in your send connector (basic authentication) before ${previous.until}. Until that day your current password keeps working as well; from then on only the new one does.`
        : "Please enter it in your send connector (basic authentication).",
    ],
  };
}

function revokedMessage(c: Customer, p: PlatformConfig): Message {
  return {
    slug: c.slug,
    kind: "credential-revoked",
    to: c.contacts.administrator,
    subject: `Previous password for secure mail revoked (${p.secureNodes.hostname})`,
    paragraphs: [`As announced, the previous password of ${c.credential!.username} on ${p.secureNodes.hostname} no longer works. The password you received with the rotation keeps working.`],
  };
}

function label(slugs: readonly string[]): string {
  return slugs.length === 1 ? slugs[0] : `${slugs.length} customers`;
}
