"""The rules of the one schema: the fields, each rule's policy, the reasons counted or printed, and how each
rule compares with TwoSampleMR's ``format_data`` / ``harmonise_data``. Plain declarations without numpy or
pandas, so that ``mrkit --help`` can show the tables without importing them; the rule engine that applies
them is :mod:`mrkit.gwas.schema`.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIELDS", "SCHEMA_COLUMNS", "FLOAT_COLUMNS", "PASSTHROUGH_COLUMNS", "CHROMOSOMES", "ALLELE_PATTERN",
           "MAGNITUDE", "P_UNDERFLOW", "MULTIALLELIC", "OUT_OF_RANGE", "EMPTY_LINE", "MULTIALLELIC_SPLIT", "P_FILLED",
           "N_FILLED", "FILLED", "EXACT_REPEAT", "CONFLICTING_REPEAT", "Rule", "RULES", "Difference", "TWOSAMPLEMR",
           "policy_help", "twosamplemr_help"]

#: Effects and SEs must lie within (1/MAGNITUDE, MAGNITUDE) in absolute value, so that their squares stay
#: finite; the same bound as :data:`mrkit.methods.mrdata.MAGNITUDE` (tests/test_validation_layer.py checks).
MAGNITUDE = 1e150
#: Schema field -> what it holds. The columns (in order) of the frame every reader returns.
FIELDS = {
    "chrom": "chromosome, 1-22 or X ('chr' prefix dropped, 23 read as X)",
    "pos": "base-pair position (>= 1)",
    "snp": "variant id (rsid, or chrom:pos:A1:A2 with the alleles sorted when the file has none)",
    "effect_allele": "effect allele: A/C/G/T sequence, or D/I for indels (upper-cased)",
    "other_allele": "the other allele, as effect_allele",
    "eaf": "effect-allele frequency, 0 < eaf < 1 (may be missing)",
    "beta": "effect of the effect allele (log OR for binary traits), finite",
    "se": "standard error of beta, finite and > 0",
    "p": "p-value, 0 <= p <= 1 (p = 0 kept and flagged as underflow)",
    "n": "sample size, > 0 (may be missing)",
    "ncase": "number of cases, > 0 (may be missing)",
    "ncontrol": "number of controls, > 0 (may be missing)",
}
SCHEMA_COLUMNS = ("chrom", "pos", "snp", "effect_allele", "other_allele", "eaf", "beta", "se", "p",
                  "n", "ncase", "ncontrol")
FLOAT_COLUMNS = ("eaf", "beta", "se", "p", "n", "ncase", "ncontrol")
#: Carried through unchecked when a reader has them: the LD-proxy labels of an outcome table whose rows
#: already stand in for their targets (TwoSampleMR ``extract_outcome_data``, OpenGWAS ``associations``), and
#: every id of a variant that has several (FinnGen ``rsids``; :mod:`mrkit.gwas.io.aliases`).
PASSTHROUGH_COLUMNS = ("proxy", "target_snp", "proxy_snp", "snp_aliases")
CHROMOSOMES = tuple(str(i) for i in range(1, 23)) + ("X",)
#: A nucleotide sequence (SNV or indel) or the D/I codes TwoSampleMR accepts for indels.
ALLELE_PATTERN = r"[ACGT]+|[DI]"
#: Reasons under which a kept row is flagged (not dropped).
P_UNDERFLOW = "p = 0 (underflow; kept: Steiger takes r2 from beta and SE)"
MULTIALLELIC = "multi-allelic site (records with one id and different alleles, kept)"
OUT_OF_RANGE = f"beta or se out of range (|beta| < {MAGNITUDE:g}, {1 / MAGNITUDE:g} < se < {MAGNITUDE:g})"
EMPTY_LINE = "empty line (no data: skipped)"
MULTIALLELIC_SPLIT = "record of a multi-allelic GWAS-VCF line (split into biallelic records)"
#: Values filled in before any rule drops a row (TwoSampleMR ``format_data``); counted with the flags.
P_FILLED = "p missing: filled from beta and se, 2*pnorm(-|beta/se|) (TwoSampleMR format_data)"
N_FILLED = "n missing: filled as ncase + ncontrol (TwoSampleMR format_data)"
FILLED = (P_FILLED, N_FILLED)
#: Repeats of one variant: an exact repeat counts once, copies that disagree all leave.
EXACT_REPEAT = "exact repeat of a row (one copy kept)"
CONFLICTING_REPEAT = "variant repeated with different values (every copy)"


@dataclass(frozen=True)
class Rule:
    """One rule of the schema: what it checks, its policy and the reason counted or printed."""

    check: str
    policy: str  # "refuse", "fill", "drop" or "flag"
    reason: str


RULES: tuple[Rule, ...] = (
    Rule("file missing, unreadable, truncated or corrupt (gzip/BGZF)", "refuse",
         "no such file / truncated or corrupt gzip (...) after line N"),
    Rule("empty file, empty or duplicated header, unrecognised format", "refuse",
         "empty file: no header line / unrecognised summary-statistics format"),
    Rule("a required column missing", "refuse", "missing required column(s) [...]"),
    Rule("wrong number of fields in a row", "refuse", "expected K fields (as in the header), found M"),
    Rule("text in a numeric column", "refuse", "value 'abc' is not a number"),
    Rule("header but no data row", "refuse", "no data rows"),
    Rule("every row dropped", "refuse", "no valid row: all N rows dropped (reasons)"),
    Rule("mr_keep not TRUE/FALSE (harmonised tables)", "refuse", "mr_keep must be TRUE or FALSE"),
    Rule("p missing, beta and se valid (harmonised tables: in a p column)", "fill", P_FILLED),
    Rule("n missing, ncase and ncontrol known", "fill", N_FILLED),
    Rule("chromosome, position, allele, beta, se, p or id missing", "drop", "missing <field>"),
    Rule("chromosome not 1-22 or X", "drop", "chromosome not 1-22 or X"),
    Rule("allele not A/C/G/T (sequence) or D/I", "drop", "invalid allele"),
    Rule("effect allele equal to other allele", "drop", "effect allele = other allele"),
    Rule("p < 0 or p > 1", "drop", "p outside [0, 1]"),
    Rule("beta or se infinite", "drop", "beta not finite / se not finite"),
    Rule("se <= 0", "drop", "se <= 0"),
    Rule("|beta| >= 1e150, se <= 1e-150 or se >= 1e150 (squares overflow)", "drop", OUT_OF_RANGE),
    Rule("position < 1", "drop", "position < 1"),
    Rule("eaf <= 0 or eaf >= 1", "drop", "eaf outside (0, 1)"),
    Rule("n, ncase or ncontrol <= 0 or infinite", "drop", "n (ncase, ncontrol) not > 0 and finite"),
    Rule("Neale lab row flagged low_confidence_variant", "drop", "low confidence variant"),
    Rule("a row repeated with every value equal (harmonised tables: in one exposure-outcome pair)", "drop",
         EXACT_REPEAT),
    Rule("one variant twice with different values (same id and alleles, or same position and alleles)", "drop",
         CONFLICTING_REPEAT),
    Rule("GWAS-VCF record whose ALT and ES/SE/LP counts differ", "drop", "malformed multi-allelic record"),
    Rule("SNP-exposure effect 0 (harmonised tables: ratio undefined)", "drop", "beta.exposure = 0"),
    Rule("harmonise: exposure id with several allele pairs", "drop",
         "multi-allelic site: a more significant record of the variant kept"),
    Rule("harmonise: several outcome records fit the exposure's alleles", "drop",
         "multi-allelic site: several records match the exposure's alleles"),
    Rule("p = 0", "flag", P_UNDERFLOW),
    Rule("one id with different allele pairs (multi-allelic site)", "flag", MULTIALLELIC),
    Rule("GWAS-VCF record with several ALT alleles", "flag", MULTIALLELIC_SPLIT),
    Rule("an empty line among the data rows", "flag", EMPTY_LINE),
)


@dataclass(frozen=True)
class Difference:
    """One rule as TwoSampleMR 0.7.9 applies it (R/read_data.R ``format_data``, R/harmonise.R
    ``harmonise_data``, R/query.R ``format_d``) and as mrkit does, and why mrkit differs (empty: it does not)."""

    rule: str
    twosamplemr: str
    mrkit: str
    why: str = ""


TWOSAMPLEMR: tuple[Difference, ...] = (
    Difference("p missing (NA)", "format_data: 2*pnorm(-|beta|/se) (pval_origin 'inferred')",
               "the same, counted as a fill"),
    Difference("no p column", "format_data: every p from beta and se",
               "readers need a p column; harmonise fills every p of an in-memory table (e.g. OpenGWAS answers)",
               "a file without p is more often a file read with the wrong column names"),
    Difference("p outside [0, 1] or not finite", "format_data: set to NA, then filled from beta and se",
               "row dropped and counted", "an impossible p says the row (or the column) is wrong"),
    Difference("p < 1e-200", "format_data(min_pval = 1e-200): raised to 1e-200",
               "kept as written; p = 0 flagged (OpenGWAS tables: 1e-200, as extract_instruments)",
               "Steiger and F take r2 from beta and se when p underflows"),
    Difference("samplesize missing", "format_data: ncase + ncontrol when both are there",
               "the same, counted as a fill; a reader's --n/--ncase/--ncontrol fills what is left"),
    Difference("se missing", "format_data: stays NA (mr_keep FALSE); format_d (OpenGWAS): |beta|/|qnorm(p/2)|",
               "readers drop the row; harmonise keeps it with mr_keep FALSE; the OpenGWAS tables infer it as "
               "format_d", "rows without se cannot enter MR; dropping them is counted, never silent"),
    Difference("se <= 0 or not finite", "format_data: set to NA (mr_keep FALSE)", "row dropped and counted",
               "a zero or negative se is a broken row, never a usable one"),
    Difference("beta not finite", "format_data: set to NA (mr_keep FALSE)", "row dropped and counted (missing "
               "beta: readers drop, harmonise keeps with mr_keep FALSE)", "as for se"),
    Difference("|beta| or se beyond 1e150 (1e-150)", "no check", "row dropped and counted",
               "their squares overflow in the estimators' weights"),
    Difference("eaf <= 0, >= 1 or not finite", "format_data: set to NA (kept; a palindrome then counts as "
               "ambiguous)", "row dropped and counted",
               "an impossible frequency says the row is wrong; it must never decide a palindrome's strand"),
    Difference("eaf 'NR'", "harmonise_data: NA (outcome)", "NA in every table (exposure and outcome)"),
    Difference("alleles", "toupper; not ^[ACTG]+$ or D/I: NA and mr_keep FALSE",
               "stripped and upper-cased; not [ACGT]+ or D/I: row dropped and counted",
               "a row that cannot be harmonised is reported, not carried"),
    Difference("effect allele = other allele", "format_data: no check; harmonise_data removes it unless the "
               "other dataset has the same pair", "row dropped and counted",
               "no effect allele can be told from such a pair"),
    Difference("one allele only (2-1, 1-2, 1-1 cases)", "harmonise_data: harmonise_21/12/11 by frequency",
               "readers drop a row whose allele cell is empty; a variant without an other allele (no such "
               "column) is removed by harmonise (counted: missing allele)",
               "with one allele the strand and the effect allele are guesses"),
    Difference("SNP", "tolower, all whitespace removed; NA dropped",
               "stripped; '' and '.' missing and dropped; case kept",
               "ids are compared as the files write them; lower case would also rewrite chrom:pos:A:G ids"),
    Difference("id missing (chrom and pos known)", "row dropped (no SNP)",
               "id made as chrom:pos:A1:A2 with the alleles sorted", "files without rsids (FinnGen, SSF) still match"),
    Difference("SNP twice", "format_data: the first kept (warning), even at a multi-allelic site",
               "an exact repeat counts once; copies that differ are all dropped; one id with other alleles "
               "is a multi-allelic record (kept, flagged; harmonise picks the one matching the exposure)",
               "keeping the first picks an association by file order"),
    Difference("chromosome", "no check", "1-22 or X ('chr' dropped, 23 read as X); else dropped and counted",
               "the schema holds the chromosomes of the study's GWAS and panels (FinnGen and GWAS-SSF write X as "
               "23); Y, MT and contigs are reported, not carried"),
    Difference("position", "no check", "< 1 dropped", ""),
    Difference("n, ncase, ncontrol <= 0 or infinite", "no check (coerced to numbers)", "row dropped and counted",
               "Steiger and F divide by them"),
    Difference("units", "format_data: several units of one trait appended to its name", "not read", ""),
    Difference("id (dataset)", "format_data: random id when none", "the trait's name or file name", ""),
    Difference("beta = 0 (harmonised tables)", "kept (Wald ratio by/0 is infinite)", "row dropped and counted",
               "the ratio estimate is undefined"),
    Difference("matching exposure and outcome", "harmonise_data: merge on SNP",
               "on SNP, then position and allele pair, then LD proxies", "files name variants differently"),
    Difference("palindromes, strand, indels", "harmonise_22: tolerance 0.08, action 1/2/3, recode_indels_22",
               "the same (ported)"),
    Difference("beta or se missing after harmonising", "harmonise_data: mr_keep FALSE", "the same"),
)


def policy_help() -> str:
    """The rule table as plain text, for the epilog of the CLI commands."""
    width = max(len(r.check) for r in RULES)
    lines = ["input checks (one rule engine for every format; --strict turns 'drop' into 'refuse'):"]
    lines += [f"  {r.check:<{width}}  {r.policy:<6}  {r.reason}" for r in RULES]
    lines.append("refuse: exit code 2 and one line naming file, line and column; fill: the value is derived as "
                 "TwoSampleMR format_data derives it, the row kept and the fill counted (with the flags); drop: the "
                 "row is left out and counted by reason in the report; flag: kept and counted.")
    return "\n".join(lines)


def twosamplemr_help() -> str:
    """Each rule beside TwoSampleMR's (0.7.9 ``format_data`` / ``harmonise_data``), as plain text."""
    lines = ["compared with TwoSampleMR 0.7.9 (format_data, harmonise_data, format_d):"]
    for d in TWOSAMPLEMR:
        lines.append(f"  {d.rule}")
        lines.append(f"      TwoSampleMR: {d.twosamplemr}")
        lines.append(f"      mrkit:       {d.mrkit}" + (f"  (why: {d.why})" if d.why else ""))
    return "\n".join(lines)
