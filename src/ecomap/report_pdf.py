"""The connectivity report as a printable PDF, for a planning meeting (matplotlib's PDF backend).

One A4 page of the summary and the top corridors and patches as text, then one page per
chart the HTML report shows (overview map, corridor importance, dPC fractions). No browser
and no PDF library beyond matplotlib is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from .io import atomic_write

__all__ = ["write_report_pdf", "A4_INCHES"]

#: A4 portrait in inches (210 × 297 mm).
A4_INCHES = (8.27, 11.69)
#: Fonts of the text page: a monospace one so the tables' columns line up, then a CJK
#: font that matplotlib falls back to, glyph by glyph, for Chinese text (`make sysdeps` installs it).
_FONTS = ["DejaVu Sans Mono", "WenQuanYi Micro Hei"]


def write_report_pdf(text: str, path: str | os.PathLike, *,
                     charts: list[str | os.PathLike] = ()) -> Path:
    """Write the report as a PDF: a text page, then one page per chart PNG.

    Parameters
    ----------
    text : str
        The report's text (:func:`ecomap.report.connectivity_text`): the summary, top
        corridors and patches, gaps. Printed in a monospace (CJK-capable) font.
    path : str or os.PathLike
        The PDF to write (atomically; its folder is created if missing).
    charts : list of str or os.PathLike, default ()
        PNG files to put one per page, in order (those :func:`ecomap.report.write_report`
        drew).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    WriteError
        If the file cannot be written (an InputError; nothing is replaced).

    References
    ----------
    .. [1] J. D. Hunter, "Matplotlib: A 2D graphics environment", *Computing in Science &
       Engineering* 9 (2007), 90-95 (the PDF backend, ``PdfPages``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with matplotlib.rc_context({"text.parse_math": False, "font.family": _FONTS}), \
            atomic_write(path) as tmp:
        with PdfPages(tmp) as pdf:
            pdf.infodict()["Title"] = "ecomap connectivity report 连通性报告"
            fig = plt.figure(figsize=A4_INCHES)
            fig.text(0.06, 0.96, "连通性报告 Connectivity report", fontsize=13, va="top")
            fig.text(0.06, 0.93, text, fontsize=5.6, va="top", linespacing=1.25)
            pdf.savefig(fig)
            plt.close(fig)
            for png in charts:
                fig = plt.figure(figsize=A4_INCHES)
                ax = fig.add_axes((0.05, 0.05, 0.9, 0.9))
                ax.imshow(mpimg.imread(str(png)))
                ax.set_axis_off()
                pdf.savefig(fig)
                plt.close(fig)
    return Path(path)
