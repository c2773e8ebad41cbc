"""Draws bench/results.png: for each workload case, each framework's primary metric as a ratio
against uvloop (log scale; cells run with other parameters than the case are left out).
Optional: does nothing (returns None) without matplotlib."""
from probe import label
from report import in_order, ratio


def draw(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return None
    panels = []
    for w in results["workloads"]:
        better = w["primary"].get("better", "higher")
        key = w["primary"]["key"]
        for case in w["cases"]:
            base = case["cells"].get("uvloop", {})
            base_value = base.get("median", {}).get(key) if base.get("status") == "ok" else None
            bars = []
            for framework, cell in in_order(case["cells"]):
                differs = any(case.get("args", {}).get(k) != v for k, v in cell.get("args", {}).items())
                if cell["status"] == "ok" and not differs:  # not-like-for-like cells stay out
                    r = ratio(cell["median"].get(key), base_value, better)
                    if r is not None:
                        bars.append((label(framework), r))
            if bars:
                panels.append(("%s: %s" % (w["title"], case["name"]), bars))
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.0 + 1.6 * len(panels)), squeeze=False)
    for ax, (title, bars) in zip(axes[:, 0], panels):
        names = [b[0] for b in bars][::-1]
        values = [b[1] for b in bars][::-1]
        colors = ["tab:red" if n.startswith("idiokit") else "tab:gray" for n in names]
        ax.barh(names, values, color=colors)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: "%g×" % x))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        low, high = min(values + [1.0]), max(values + [1.0])
        ax.set_xlim(low / 1.5, high * 1.5)
        ticks = [m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 5)]
        ax.set_xticks([t for t in ticks if low / 1.5 <= t <= high * 1.5])
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_title(title + "  (× better than uvloop)", fontsize=9)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
