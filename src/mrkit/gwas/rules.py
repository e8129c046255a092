"""The rules of the one schema (:mod:`mrkit.gwas.schema`): the fields, each rule's policy and the reasons
counted or printed. Plain declarations without numpy or pandas, so that ``mrkit --help`` can show the
table without importing them; the checks themselves are in :mod:`mrkit.gwas.schema`.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIELDS", "SCHEMA_COLUMNS", "FLOAT_COLUMNS", "PASSTHROUGH_COLUMNS", "CHROMOSOMES", "ALLELE_PATTERN",
           "MAGNITUDE", "P_UNDERFLOW", "MULTIALLELIC", "OUT_OF_RANGE", "EMPTY_LINE", "MULTIALLELIC_SPLIT", "Rule",
           "RULES", "policy_help"]

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


@dataclass(frozen=True)
class Rule:
    """One rule of the schema: what it checks, its policy and the reason counted or printed."""

    check: str
    policy: str  # "refuse", "drop" or "flag"
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
    Rule("one variant twice (same id and alleles, or same position and alleles)", "drop",
         "duplicated variant (every copy)"),
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


def policy_help() -> str:
    """The rule table as plain text, for the epilog of the CLI commands."""
    width = max(len(r.check) for r in RULES)
    lines = ["input checks (one schema for every format; --strict turns 'drop' into 'refuse'):"]
    lines += [f"  {r.check:<{width}}  {r.policy:<6}  {r.reason}" for r in RULES]
    lines.append("refuse: exit code 2 and one line naming file, line and column; drop: the row is left out "
                 "and counted by reason in the report; flag: kept and counted.")
    return "\n".join(lines)
