"""Write summary statistics in the real sources' formats, bgzipped (real BGZF blocks, mtime 0).

* FinnGen release tables (LBP): ``#chrom pos ref alt rsids nearest_genes pval mlogp beta sebeta af_alt
  af_alt_cases af_alt_controls``, ALT is the effect allele.
* Neale lab UK Biobank tables (insomnia, sleep duration, daytime sleepiness): ``variant minor_allele
  minor_AF low_confidence_variant n_complete_samples AC ytx beta se tstat pval``, variant =
  ``chrom:pos:ref:alt``, beta for ALT, AC = ALT allele count, ytx = sum of y times ALT dosage.
* IEU OpenGWAS GWAS-VCF (short and long sleep): FORMAT ``ES:SE:LP:AF:SS:NC:ID``.

Rows are formatted in chunks with one format string per row (C-level ``%``), then compressed by
:func:`mrkit.gwas.io.columnar.write_bgzip`, which writes BGZF blocks with the ``BC`` extra field, zero
mtime and the end-of-file block, so the files are byte-for-byte reproducible.

References
----------
Kurki MI et al. (2023) FinnGen provides genetic insights from a well-phenotyped isolated population.
Nature 613:508-518. Neale lab (2017) UK Biobank GWAS, http://www.nealelab.is/uk-biobank .
Lyon MS et al. (2021) The variant call format provides efficient and robust storage of GWAS summary
statistics. Genome Biol 22:32. SAM/BAM specification section 4.1 (BGZF).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..gwas.io.columnar import write_bgzip

FINNGEN_HEADER = ("#chrom", "pos", "ref", "alt", "rsids", "nearest_genes", "pval", "mlogp", "beta", "sebeta",
                  "af_alt", "af_alt_cases", "af_alt_controls")
NEALE_HEADER = ("variant", "minor_allele", "minor_AF", "low_confidence_variant", "n_complete_samples", "AC", "ytx",
                "beta", "se", "tstat", "pval")
VCF_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT")
VCF_FORMAT = "ES:SE:LP:AF:SS:NC:ID"
CHUNK_ROWS = 50_000
#: zlib level (bgzip uses 6; 4 is twice as fast for ~10 % larger files, any level is valid BGZF)
COMPRESSION_LEVEL = 4


def _chunks(header: str, row_format: str, columns: Sequence[Sequence]) -> Iterator[bytes]:
    yield header.encode()
    n = len(columns[0])
    for lo in range(0, n, CHUNK_ROWS):
        part = [c[lo:lo + CHUNK_ROWS] for c in columns]
        yield "".join([row_format % row for row in zip(*part)]).encode()


def _lists(*arrays) -> list[list]:
    return [np.asarray(a).tolist() for a in arrays]


def write_finngen(path: Path, *, chrom, pos, ref, alt, ids, genes, p, mlog10p, beta, se, af, af_cases,
                  af_controls) -> Path:
    """A FinnGen R5-style table (``rsids`` holds the ``chrom:pos:ref:alt`` id: no real-looking rsids)."""
    header = "\t".join(FINNGEN_HEADER) + "\n"
    row = "%d\t%d\t%s\t%s\t%s\t%s\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\n"
    cols = _lists(chrom, pos, ref, alt, ids, genes, p, mlog10p, beta, se, af, af_cases, af_controls)
    return write_bgzip(path, _chunks(header, row, cols), level=COMPRESSION_LEVEL)


def write_neale(path: Path, *, ids, ref, alt, af, n, beta, se, p, trait_mean: float) -> Path:
    """A Neale lab UK Biobank table. ``ytx = n (beta 2 f (1-f) + 2 f mean_y)`` (its expectation)."""
    af = np.asarray(af)
    minor_is_alt = af < 0.5
    minor = np.where(minor_is_alt, alt, ref)
    maf = np.where(minor_is_alt, af, 1.0 - af)
    n = np.broadcast_to(np.asarray(n, dtype=np.int64), af.shape)
    ac = 2.0 * n * af
    ytx = n * (np.asarray(beta) * 2 * af * (1 - af) + 2 * af * trait_mean)
    header = "\t".join(NEALE_HEADER) + "\n"
    row = "%s\t%s\t%.6g\tfalse\t%d\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\n"
    cols = _lists(ids, minor, maf, n, ac, ytx, beta, se, np.asarray(beta) / np.asarray(se), p)
    return write_bgzip(path, _chunks(header, row, cols), level=COMPRESSION_LEVEL)


def vcf_header(study_id: str, *, chromosome_lengths: Sequence[int], n_variants: int, ncase: float, ncontrol: float,
               source: str) -> str:
    """The ``##`` meta lines and column line of an OpenGWAS-style GWAS-VCF (no dates: reproducible)."""
    binary = ncase == ncase  # not NaN
    fields = [
        ("ES", "Float", "Effect size estimate relative to the alternative allele"),
        ("SE", "Float", "Standard error of effect size estimate"),
        ("LP", "Float", "-log10 p-value for effect estimate"),
        ("AF", "Float", "Alternate allele frequency in the association study"),
        ("SS", "Float", "Sample size used to estimate genetic effect"),
        ("NC", "Float", "Number of cases used to estimate genetic effect"),
        ("ID", "String", "Study variant identifier"),
    ]
    lines = ["##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">',
             '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele Frequency">']
    lines += [f'##FORMAT=<ID={k},Number={"1" if k == "ID" else "A"},Type={t},Description="{d}">' for k, t, d in fields]
    counts = (f"TotalControls={ncontrol:.1f},TotalCases={ncase:.1f},StudyType=CaseControl" if binary
              else "StudyType=Continuous")
    lines.append(f"##SAMPLE=<ID={study_id},TotalVariants={n_variants},VariantsNotRead=0,"
                 f"HarmonisedVariants={n_variants},VariantsNotHarmonised=0,SwitchedAlleles=0,{counts}>")
    lines += [f"##contig=<ID={c},length={length},assembly=GRCh37>" for c, length in enumerate(chromosome_lengths, 1)]
    lines.append(f"##source={source}")
    lines.append("\t".join(VCF_COLUMNS + (study_id,)))
    return "\n".join(lines) + "\n"


def write_gwasvcf(path: Path, *, header: str, chrom, pos, ids, ref, alt, beta, se, mlog10p, af, n, ncase) -> Path:
    """A GWAS-VCF body: one study column with ``ES:SE:LP:AF:SS:NC:ID`` (NC = number of cases).

    The ID column holds ``chrom:pos:ref:alt``; the FORMAT ID the same with ``_`` (no ``:`` inside a field).
    """
    size = np.asarray(af).shape
    n = np.broadcast_to(np.asarray(n, dtype=np.int64), size)
    # the FORMAT ID is a study variant id; ':' separates FORMAT fields, so it is chrom_pos_ref_alt
    study_ids = np.char.replace(np.asarray(ids, dtype=str), ":", "_")
    row = "%d\t%d\t%s\t%s\t%s\t.\tPASS\tAF=%.6g\t" + VCF_FORMAT + "\t%.6g:%.6g:%.6g:%.6g:%d:"
    if np.isnan(np.asarray(ncase, dtype=float)).any():  # continuous trait: no case count
        row += ".:%s\n"
        cols = _lists(chrom, pos, ids, ref, alt, af, beta, se, mlog10p, af, n, study_ids)
    else:
        row += "%d:%s\n"
        nc = np.broadcast_to(np.asarray(ncase, dtype=np.int64), size)
        cols = _lists(chrom, pos, ids, ref, alt, af, beta, se, mlog10p, af, n, nc, study_ids)
    return write_bgzip(path, _chunks(header, row, cols), level=COMPRESSION_LEVEL)
