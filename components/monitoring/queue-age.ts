/**
 * Renders the small exporter behind `MailQueuedTooLong`: a POSIX sh script, run by cron
 * next to Postfix, that reads `postqueue -j` and writes the age of the oldest message
 * and the number of messages per queue in Prometheus textfile format.
 * Pure functions: no Pulumi, no I/O.
 */
import { QUEUE_AGE_METRIC } from "./render";
import { shQuote } from "../backup/render";

/** Number of messages per Postfix queue, written beside the age. */
export const QUEUE_LENGTH_METRIC = "postfix_queue_messages";
/** The queues `postqueue -j` reports; each is written, with 0 when empty. */
export const POSTFIX_QUEUES = ["maildrop", "incoming", "active", "deferred", "hold"] as const;

export interface QueueAgeExporterOptions {
  /** Postfix configuration folder for `postqueue -c`. Default: Postfix's own default. */
  postfixConfigDir?: string;
  /** Folder of the textfile collector. Default: `/var/lib/ezorg-queue/metrics`. */
  metricsDir?: string;
  /** Where the script is installed. Default: `/usr/local/bin/ezorg-queue-age.sh`. */
  scriptPath?: string;
}

export interface QueueAgeExporter {
  scriptPath: string;
  script: string;
  /** One crontab line: every minute, failures to the container's stderr. */
  crontab: string;
  /** The textfile it writes. */
  metricsFile: string;
}

export function renderQueueAgeExporter(options: QueueAgeExporterOptions = {}): QueueAgeExporter {
  for (const [field, value] of Object.entries(options)) {
    if (value !== undefined && (!value.startsWith("/") || /[\n\r]/.test(value))) {
      throw new Error(`queue-age exporter option ${field} is "${value}": it must be an absolute path on one line`);
    }
  }
  const scriptPath = options.scriptPath ?? "/usr/local/bin/ezorg-queue-age.sh";
  const metricsFile = `${options.metricsDir ?? "/var/lib/ezorg-queue/metrics"}/postfix_queue.prom`;
  const postqueue = options.postfixConfigDir ? `postqueue -c ${shQuote(options.postfixConfigDir)}` : "postqueue";

  const script = `#!/bin/sh
# ezorg queue-age exporter, rendered from the platform configuration. Do not edit.
# Writes ${QUEUE_AGE_METRIC} and ${QUEUE_LENGTH_METRIC} per queue from
# postqueue -j (one JSON object per message, with its arrival_time), for the
# MailQueuedTooLong alert (NTA 7516 6.1.4: the sender is told within the limit).
set -u
umask 022
METRICS_FILE=${shQuote(metricsFile)}
tmp="$METRICS_FILE.$$"
trap 'rm -f "$tmp" "$tmp.json"' EXIT

if ! ${postqueue} -j >"$tmp.json" 2>"$tmp"; then
  printf 'ezorg-queue-age: FAILED: postqueue -j: %s\\n' "$(tail -n 1 "$tmp")" >&2
  exit 1
fi
awk -v now="$(date +%s)" '
  {
    q = ""; t = ""
    if (match($0, /"queue_name": *"[a-z]+"/)) { s = substr($0, RSTART, RLENGTH); sub(/.*: *"/, "", s); sub(/"$/, "", s); q = s }
    if (match($0, /"arrival_time": *[0-9]+/)) { s = substr($0, RSTART, RLENGTH); sub(/.*: */, "", s); t = s + 0 }
    if (q == "" || t == "") next
    count[q]++
    if (!(q in oldest) || t < oldest[q]) oldest[q] = t
  }
  END {
    print "# HELP ${QUEUE_AGE_METRIC} Age of the oldest message in the Postfix queue, 0 when empty."
    print "# TYPE ${QUEUE_AGE_METRIC} gauge"
    n = split("${POSTFIX_QUEUES.join(" ")}", queues, " ")
    for (i = 1; i <= n; i++) {
      q = queues[i]; age = (q in oldest) ? now - oldest[q] : 0
      if (age < 0) age = 0
      printf "${QUEUE_AGE_METRIC}{queue=\\"%s\\"} %d\\n", q, age
    }
    print "# HELP ${QUEUE_LENGTH_METRIC} Messages in the Postfix queue."
    print "# TYPE ${QUEUE_LENGTH_METRIC} gauge"
    for (i = 1; i <= n; i++) printf "${QUEUE_LENGTH_METRIC}{queue=\\"%s\\"} %d\\n", queues[i], count[queues[i]] + 0
  }
' "$tmp.json" >"$tmp" || { printf 'ezorg-queue-age: FAILED: cannot read the postqueue output\\n' >&2; exit 1; }
mv -f "$tmp" "$METRICS_FILE" || { printf 'ezorg-queue-age: FAILED: cannot write %s\\n' "$METRICS_FILE" >&2; exit 1; }
`;
  return {
    scriptPath,
    script,
    metricsFile,
    crontab: `* * * * * /bin/sh ${scriptPath} 2>/proc/1/fd/2\n`,
  };
}
