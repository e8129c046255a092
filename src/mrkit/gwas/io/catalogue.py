"""The summary-statistics formats mrkit reads, by their allele conventions: which column is the effect
allele, which frequency is its frequency, where p is and on which scale.

Plain declarations without numpy, pandas or pyarrow, so that ``mrkit read --help`` can print the catalogue
without importing them. The output formats of association tools (:data:`TOOLS`) are read by one
table-driven reader (:mod:`mrkit.gwas.io.tools`) from the column meanings declared here, each taken from
the tool's own documentation or source (``source``); the other formats have their own reader module and
their entry here only describes it (:data:`OTHERS`).

A table whose effect allele cannot be known, an ``Allele1``/``Allele2`` pair from no known tool, is refused
by the generic reader with the advice to name the effect-allele column: SAIGE's Allele2 and METAL's
Allele1 are both "the second" and "the first" allele, and guessing would attach every effect to the wrong
allele.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ToolSpec", "Described", "TOOLS", "OTHERS", "FORMAT_NAMES", "catalogue_help"]


@dataclass(frozen=True)
class ToolSpec:
    """The columns of one tool's output and what they mean.

    ``signature``: header names that identify the tool (all present). ``columns``: schema field ->
    candidate columns, the first present wins. ``p_scale``: p columns holding ``-log10 p`` ("neg_log10") or
    ``log10 p`` ("log10"). ``odds_ratio``: effect columns holding an odds ratio (beta = log OR; the SE
    column is then the SE of log OR). ``keep_test``: (column, value): rows of other tests are left out and
    counted. ``other_of``: (REF, ALT) columns when the other allele is whichever of the two is not the
    effect allele (no other-allele column). ``refusals``: (names present, names absent, message): a header of
    the tool that cannot be read for MR, refused with the message.
    """

    name: str
    tool: str
    source: str
    signature: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    p_scale: dict[str, str] = field(default_factory=dict)
    odds_ratio: tuple[str, ...] = ()
    keep_test: tuple[str, str] | None = None
    other_of: tuple[str, tuple[str, ...]] | None = None
    refusals: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = ()
    notes: str = ""

    def detects(self, header) -> bool:
        names = set(header)
        return set(self.signature) <= names or any(set(present) <= names and not (set(absent) & names)
                                                   for present, absent, _ in self.refusals)

    def effect_allele(self) -> str:
        return self.columns["effect_allele"][0]

    def described(self) -> Described:
        def one(role: str) -> str:
            names = self.columns.get(role, ())
            return " or ".join(f"{n} ({self.p_scale[n].replace('_', ' ')})" if n in self.p_scale else n
                               for n in names) or "-"

        other = one("other_allele") if "other_allele" in self.columns else ""
        if self.other_of:
            other = (f"{other}, else " if other else "") + f"the one of {self.other_of[0]}/{self.other_of[1][0]} " \
                                                           f"that is not {self.effect_allele()}"
        effect = f"{self.effect_allele()} (other: {other})"
        return Described(self.name, self.tool, effect, one("eaf"), one("p"), self.notes, self.source)


@dataclass(frozen=True)
class Described:
    """One row of the catalogue, as the help shows it."""

    name: str
    tool: str
    effect_allele: str
    eaf: str
    p: str
    notes: str
    source: str


_N = {"n": ("N",)}

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "saige", "SAIGE step 2 (single-variant tests)",
        "SAIGE-doc docs/single_step2.md: 'Association results are with regard to Allele2'; BETA: effect size of "
        "allele 2; AF_Allele2: allele frequency of allele 2; p.value",
        ("Allele1", "Allele2", "AF_Allele2", "BETA", "SE", "p.value"),
        {"snp": ("rsid", "SNPID", "MarkerID"), "chrom": ("CHR",), "pos": ("POS",), "effect_allele": ("Allele2",),
         "other_allele": ("Allele1",), "eaf": ("AF_Allele2",), "beta": ("BETA",), "se": ("SE",),
         "p": ("p.value",), **_N, "ncase": ("N_case", "N.Cases"), "ncontrol": ("N_ctrl", "N.Controls")},
        notes="BETA, AF_Allele2 and the test are of Allele2, the second allele column"),
    ToolSpec(
        "regenie", "REGENIE step 2 (.regenie)",
        "regenie docs/docs/options.md, Output: ALLELE0 reference, ALLELE1 alternative allele, A1FREQ its "
        "frequency, BETA for allele 1, LOG10P the -log10 p-value (header: src/Step2_Models.cpp)",
        ("CHROM", "GENPOS", "ID", "ALLELE0", "ALLELE1", "A1FREQ", "BETA", "SE", "LOG10P"),
        {"snp": ("ID",), "chrom": ("CHROM",), "pos": ("GENPOS",), "effect_allele": ("ALLELE1",),
         "other_allele": ("ALLELE0",), "eaf": ("A1FREQ",), "beta": ("BETA",), "se": ("SE",), "p": ("LOG10P",),
         **_N, "ncase": ("N_CASES",), "ncontrol": ("N_CONTROLS",)},
        p_scale={"LOG10P": "neg_log10"}, keep_test=("TEST", "ADD"),
        refusals=((("CHROM", "GENPOS", "ID", "ALLELE0", "ALLELE1", "A1FREQ"), ("BETA",),
                   "a regenie --no-split file holds every trait in BETA.Y1, SE.Y1, LOG10P.Y1...: read one trait "
                   "with the generic format and its columns named"),),
        notes="p = 10^-LOG10P; rows whose TEST is not ADD (dominant, recessive, interaction) left out"),
    ToolSpec(
        "bolt", "BOLT-LMM (--statsFile)",
        "BOLT-LMM manual v2.4, section 8 Output: ALLELE1 'first allele in bim file, used as the effect allele', "
        "ALLELE0 the reference allele, A1FREQ 'frequency of first allele', P_BOLT_LMM_INF, P_BOLT_LMM",
        ("SNP", "CHR", "BP", "ALLELE1", "ALLELE0", "A1FREQ", "BETA", "SE"),
        {"snp": ("SNP",), "chrom": ("CHR",), "pos": ("BP",), "effect_allele": ("ALLELE1",),
         "other_allele": ("ALLELE0",), "eaf": ("A1FREQ",), "beta": ("BETA",), "se": ("SE",),
         "p": ("P_BOLT_LMM", "P_BOLT_LMM_INF")},
        notes="P_BOLT_LMM (the manual's recommended test) when present, else P_BOLT_LMM_INF"),
    ToolSpec(
        "plink2", "PLINK 2 --glm (.glm.linear, .glm.logistic, .glm.firth)",
        "plink-ng 2.0/plink2_glm_linear.cc and plink2_glm_logistic.cc (header), plink2_glm.cc --gwas-ssf (A1 the "
        "effect allele; the other allele OMITTED, else the one of REF/ALT that is not A1; TEST ADD only; OR with "
        "LOG(OR)_SE; NEG_LOG10_P and LOG10_P are -log10 p)",
        ("#CHROM", "POS", "ID", "REF", "A1"),
        {"snp": ("ID",), "chrom": ("#CHROM",), "pos": ("POS",), "effect_allele": ("A1",),
         "other_allele": ("OMITTED",), "eaf": ("A1_FREQ",), "beta": ("BETA", "OR"), "se": ("SE", "LOG(OR)_SE"),
         "p": ("P", "NEG_LOG10_P", "LOG10_P"), "n": ("OBS_CT",)},
        p_scale={"NEG_LOG10_P": "neg_log10", "LOG10_P": "neg_log10"}, odds_ratio=("OR",),
        keep_test=("TEST", "ADD"), other_of=("REF", ("ALT", "ALT1")),
        notes="OR to log OR with LOG(OR)_SE as its SE; rows whose TEST is not ADD left out"),
    ToolSpec(
        "cojo", "GCTA-COJO summary statistics (.ma)",
        "GCTA documentation, COJO: 'SNP A1 A2 freq b se p N': A1 the effect allele, A2 the other, freq the "
        "frequency of A1 (main/joint_meta.cpp read_metafile)",
        ("SNP", "A1", "A2", "freq", "b", "se", "p", "N"),
        {"snp": ("SNP",), "effect_allele": ("A1",), "other_allele": ("A2",), "eaf": ("freq",), "beta": ("b",),
         "se": ("se",), "p": ("p",), **_N}),
    ToolSpec(
        "fastgwa", "GCTA fastGWA / fastGWA-GLMM (.fastGWA)",
        "GCTA src/FastFAM.cpp output header 'CHR SNP POS A1 A2 N AF1 BETA SE P'; GCTA documentation, fastGWA: A1 "
        "the effect allele, AF1 its frequency",
        ("CHR", "SNP", "POS", "A1", "A2", "N", "AF1", "BETA", "SE", "P"),
        {"snp": ("SNP",), "chrom": ("CHR",), "pos": ("POS",), "effect_allele": ("A1",), "other_allele": ("A2",),
         "eaf": ("AF1",), "beta": ("BETA",), "se": ("SE",), "p": ("P",), **_N}),
    ToolSpec(
        "metal", "METAL meta-analysis (METAANALYSIS1.TBL, SCHEME STDERR)",
        "METAL metal/Main.cpp: header 'MarkerName Allele1 Allele2 [Freq1 FreqSE] Effect StdErr P-value|log(P)'; "
        "its .info: 'Effect - overall estimated effect size for allele1', 'Freq1 - frequency for allele 1'; "
        "log(P) is log10 p; alleles are written lower case",
        ("MarkerName", "Allele1", "Allele2", "Effect", "StdErr"),
        {"snp": ("MarkerName",), "chrom": ("Chromosome",), "pos": ("Position",), "effect_allele": ("Allele1",),
         "other_allele": ("Allele2",), "eaf": ("Freq1",), "beta": ("Effect",), "se": ("StdErr",),
         "p": ("P-value", "log(P)"), **_N},
        p_scale={"log(P)": "log10"},
        refusals=((("MarkerName", "Allele1", "Allele2", "Zscore"), ("Effect",),
                   "METAL's sample-size scheme (Weight, Zscore) has no effect sizes: run METAL with SCHEME "
                   "STDERR for MR"),),
        notes="alleles upper-cased; p = 10^log(P)"),
)


OTHERS: tuple[Described, ...] = (
    Described("gwasvcf", "IEU OpenGWAS GWAS-VCF (.vcf.gz)", "ALT (other: REF)", "FORMAT AF", "FORMAT LP (-log10)",
              "multi-allelic records split; n from SS or ##SAMPLE; refused: several studies without a choice",
              "Lyon MS et al. (2021) Genome Biology 22:32"),
    Described("finngen", "FinnGen release (#chrom pos ref alt rsids ...)", "alt (other: ref)", "af_alt", "pval",
              "chromosome 23 is X; rsids may hold several ids ('rs1,rs2'): the variant matches under each",
              "Kurki MI et al. (2023) Nature 613:508"),
    Described("neale", "Neale lab UK Biobank (variant chrom:pos:ref:alt)", "ALT of variant (other: REF)",
              "AC/(2 n_complete_samples), else from minor_AF", "pval",
              "low_confidence_variant rows dropped unless kept", "nealelab.is/uk-biobank, manifest README"),
    Described("ssf", "GWAS-SSF (GWAS Catalog)", "effect_allele (other: other_allele)", "effect_allele_frequency",
              "p_value or neg_log_10_p_value (-log10)", "odds_ratio to log OR",
              "Hayhurst J et al. (2023) bioRxiv 2022.07.15.500230"),
    Described("twosamplemr", "TwoSampleMR CSV (SNP, beta.exposure, ...)", "effect_allele.<role> "
              "(other: other_allele.<role>)", "eaf.<role> (NR: missing)", "pval.<role>",
              "role exposure or outcome; several traits (exposure / id.exposure): one at a time",
              "Hemani G et al. (2018) eLife 7:e34408"),
    Described("generic", "any table, columns by name or named", "effect_allele, A1, EA, Allele1 (with Allele0), "
              "ALT, tested_allele", "eaf, freq, A1FREQ, ...", "p, pval, p_value, ...",
              "OR to log OR; refused: an Allele1/Allele2 pair (name the effect-allele column)",
              "TwoSampleMR format_data column names"),
)

#: Every format name, in the order auto-detection tries them (generic last: it matches loosely).
FORMAT_NAMES: tuple[str, ...] = ("gwasvcf", "finngen", "neale", "ssf", "twosamplemr",
                                 *(t.name for t in TOOLS), "generic")


def catalogue_help() -> str:
    """The catalogue as a plain-text table, for ``mrkit read --help``."""
    rows = [d for d in OTHERS if d.name != "generic"] + [t.described() for t in TOOLS] + \
        [d for d in OTHERS if d.name == "generic"]
    import textwrap

    lines = ["formats (recognised from the header; --fmt NAME to choose), by their allele conventions:"]
    for d in rows:
        lines.append(f"  {d.name:<11} {d.tool}")
        for text in (f"effect allele {d.effect_allele}; frequency {d.eaf}; p {d.p}", d.notes, f"source: {d.source}"):
            if text:
                lines += textwrap.wrap(text, 116, initial_indent=" " * 14, subsequent_indent=" " * 16)
    return "\n".join(lines)
