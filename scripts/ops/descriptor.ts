/**
 * Edits of a customer descriptor that keep its comments and layout: the `yaml` library's
 * Document API changes only the nodes it is told to. Every edit is checked against the
 * schema before it is written, and written whole (temporary file, then rename).
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Document, isScalar, parseDocument, visit } from "yaml";
import { Customer } from "../../components/config/model";
import { checkSchema } from "../../components/config/schemas";
import { formatViolation } from "../../components/config/violations";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export class Descriptor {
  private constructor(
    readonly file: string,
    private readonly doc: Document,
  ) {}

  static read(customersDir: string, slug: string): Descriptor {
    const file = path.join(customersDir, `${slug}.yaml`);
    return new Descriptor(file, parseDocument(readFileSync(file, "utf8")));
  }

  get customer(): Customer {
    return this.doc.toJS() as Customer;
  }

  set(at: string[], value: unknown): void {
    const node = this.doc.createNode(value);
    // Quoted: js-yaml, which loads descriptors, would read a bare 2026-07-01 as a Date.
    visit(node, { Scalar: (_, s) => void (typeof s.value === "string" && ISO_DATE.test(s.value) && (s.type = "QUOTE_DOUBLE")) });
    if (isScalar(node) && isScalar(this.doc.getIn(at, true))) this.doc.setIn(at, node.value);
    else this.doc.setIn(at, node);
  }

  delete(at: string[]): void {
    this.doc.deleteIn(at);
  }

  /** Refuses (and writes nothing) when the edited descriptor breaks the schema. */
  save(): void {
    const errors = checkSchema("customer", this.customer, path.basename(this.file));
    if (errors.length > 0) throw new Error(`refusing to write ${this.file}: ${errors.map(formatViolation).join("; ")}`);
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, this.doc.toString({ lineWidth: 0 }));
    renameSync(tmp, this.file);
  }
}
