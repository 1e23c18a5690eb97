#!/usr/bin/python3
"""make_editions.py - writes the test copies of the seed plan in this directory: the
2021-2023 document as a re-typeset or re-edited copy would print it (columns
swapped, reordered under other headings, an extra column, page footers and form
feeds, the headings on every page), and a successor edition, 2023-2025, written
for the tests of `plan import --successor-of` (tests/integration/test_editions.py,
tests/unit/test_plan_parse.c). Run it again after changing it; the files are
committed, so that a reader can open them and a test never depends on running it.

    /usr/bin/python3 tests/data/make_editions.py
"""

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "..", "..", "data", "lcr-digital-action-plan-2021-2023.txt")
TITLE = "2021-2023 LCR Digital Strategy Action Plan"
TITLE_NEXT = "2023-2025 LCR Digital Strategy Action Plan"
PROJECT = re.compile(r"^(\d+)\. (.*)$")


def seed_lines():
    with open(SEED, encoding="utf-8") as f:
        return f.read().split("\n")


def write(name, lines):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines))


def cells(line):
    return line.split("\t")


def reorder(line, order):
    c = cells(line)
    if len(c) != 7:
        return line
    return "\t".join(c[i] for i in order)


def swapped():
    """LEAD and PARTNERS swapped, the heading row included."""
    return [reorder(l, [0, 1, 3, 2, 4, 5, 6]) for l in seed_lines()]


def pages(lines):
    """The line indexes where a page starts: each title line."""
    return [i for i, l in enumerate(lines) if l == TITLE]


def footers(lines, style):
    """A footer at the end of every page and a form feed before the next page's first line."""
    starts = pages(lines)
    total = len(starts)
    out = []
    page = 0
    for i, l in enumerate(lines):
        if i in starts:
            if page > 0:
                out.append(style(page, total))
                l = "\f" + l
            page += 1
        out.append(l)
    out.append(style(page, total))
    return out


def page_footers():
    return footers(seed_lines(), lambda n, m: "Page %d of %d" % (n, m))


def timescale():
    """An extra column, TIMESCALE, before STATUS; theme and objective rows get an empty cell."""
    out = []
    for l in seed_lines():
        c = cells(l)
        if len(c) == 7:
            m = PROJECT.match(c[0])
            extra = "TIMESCALE" if c[0] == "TITLE" else ("2021-%d" % (2022 + int(m.group(1)) % 3) if m else "")
            c = c[:6] + [extra] + c[6:]
        out.append("\t".join(c))
    return out


HEADINGS_RETYPESET = ["Stage", "Project", "Lead body", "Partners", "Cost", "Summary", "Funding"]


def retypeset():
    """Columns in another order under other headings, repeated on every page, "N | Page" footers and form feeds."""
    order = [6, 0, 2, 3, 4, 1, 5]
    lines = []
    for l in seed_lines():
        c = cells(l)
        if c[0] == "TITLE":
            lines.append("\t".join(HEADINGS_RETYPESET))
        elif len(c) == 7 and PROJECT.match(c[0]):
            lines.append(reorder(l, order))
        else:
            lines.append(l)
    # the headings again under each page's legend
    out = []
    for i, l in enumerate(lines):
        out.append(l)
        if l.startswith("denotes that project requires") and i > 10:
            out.append("\t".join(HEADINGS_RETYPESET))
    return footers(out, lambda n, m: "%d | Page" % n)


def headings_every_page():
    lines = seed_lines()
    heading = next(l for l in lines if l.startswith("TITLE\t"))
    out = []
    for i, l in enumerate(lines):
        out.append(l)
        if l.startswith("denotes that project requires") and i > 10:
            out.append(heading)
    return out


# ---------------------------------------------------------------- the successor edition

# What the 2023-2025 edition changes, by the 2021-2023 ref.
DROPPED = {4, 11, 26, 44}           # closed: in the old edition, not in the new
RETITLED = {29: "LCR Tech Accelerator", 55: "LCR Holistic Programme"}   # same lead, a close title
NEW_LEAD = {6: "CA – Lorna Rogers"}  # the same title, another lead
NEW_COST = {1: "£32.5M"}
NEW_STAGE = {3: "Live", 16: "Early development"}
SPLIT = {67: ["Digital Skills Partnership: employers", "Digital Skills Partnership: providers"]}
# retitled and with another lead: only the map can say it continues project 80
REPLACED = {80: ("Digital Poverty Eradication Programme", "LCC – Ann Williams")}
MOVED_TO_1_3 = {14}                 # Energy/Clean Growth moves from objective 1.4 to 1.3
NEW_AFTER = {                       # new projects, after the old ref given
    59: ["Cyber Resilience Centre\tA regional centre helping businesses and public bodies prepare for and "
         "recover from cyber attacks.\tCA – Mark Knowles\tNW Cyber Resilience Centre, police, private sector"
         "\t£2M\tCA, Home Office\tConcept"],
    77: ["Digital Inclusion Network\tA network of trusted places offering free connectivity, devices and help "
         "across the city.\tLCC – Ann Williams\tLibraries, VCS\ttbd\tLCC\tConcept"],
}


def successor_project(ref, c):
    """The 2023-2025 rows of the 2021-2023 project ref (cells c, ref and title in c[0])."""
    title = PROJECT.match(c[0]).group(2)
    if ref in DROPPED:
        return []
    if ref in SPLIT:
        return [[t] + c[1:] for t in SPLIT[ref]]
    if ref in REPLACED:
        t, lead = REPLACED[ref]
        c = [t] + c[1:]
        c[2] = lead
        return [c]
    if ref in RETITLED:
        title = RETITLED[ref] + (" #" if title.endswith("#") else "")
    c = [title] + c[1:]
    c[2] = NEW_LEAD.get(ref, c[2])
    c[4] = NEW_COST.get(ref, c[4])
    c[6] = NEW_STAGE.get(ref, c[6])
    return [c]


def successor():
    out = []
    ref = 0
    moved = []
    theme = 0
    for l in seed_lines():
        c = cells(l)
        if l == TITLE:
            out.append(TITLE_NEXT)
            continue
        m = re.match(r"^Theme (\d+):", c[0])
        if m:
            theme = int(m.group(1))
        o = re.match(r"^(\d+)\.(\d+) (.*)$", c[0])
        if o and theme == 6:
            c[0] = "6.%s %s" % (o.group(2), o.group(3))  # numbered correctly this time
            l = "\t".join(c)
        p = PROJECT.match(c[0]) if len(c) == 7 else None
        if p is None:
            out.append(l)
            if c[0].startswith("1.3 ") and moved == []:
                moved.append(len(out))  # where objective 1.3's projects end, for the one that moves there
            continue
        old = int(p.group(1))
        rows = successor_project(old, c)
        rows += [r.split("\t") for r in NEW_AFTER.get(old, [])]
        for r in rows:
            ref += 1
            line = "%d. %s" % (ref, "\t".join(r))
            out.append(line)
    return renumber_moves(out)


def renumber_moves(lines):
    """Energy/Clean Growth goes to the end of objective 1.3; refs are numbered again in order."""
    energy = next(i for i, l in enumerate(lines) if "Energy/Clean Growth" in l)
    row = lines.pop(energy)
    at = next(i for i, l in enumerate(lines) if l.startswith("1.4 "))
    lines.insert(at, row)
    out, ref = [], 0
    for l in lines:
        m = PROJECT.match(l.split("\t")[0]) if "\t" in l else None
        if m:
            ref += 1
            l = re.sub(r"^\d+\. ", "%d. " % ref, l)
        out.append(l)
    return out


def successor_map(lines):
    """The map that settles what matching cannot: the split project and the replaced one."""
    refs = {}
    for l in lines:
        m = PROJECT.match(l.split("\t")[0])
        if m:
            refs[m.group(2).split("\t")[0]] = int(m.group(1))
    return ["# 2023-2025 edition: what matching by title and lead cannot tell",
            "%d 67   # Digital Skills Partnership: employers continues Digital Skills Partnership" %
            refs["Digital Skills Partnership: employers"],
            "%d new  # the providers' half is a new project" % refs["Digital Skills Partnership: providers"],
            "%d 80   # Digital Poverty Eradication Programme continues LCR Digital Poverty Programme" %
            refs["Digital Poverty Eradication Programme"],
            ""]


def main():
    write("plan-2021-2023-lead-partners-swapped.txt", swapped())
    write("plan-2021-2023-page-footers.txt", page_footers())
    write("plan-2021-2023-timescale.txt", timescale())
    write("plan-2021-2023-retypeset.txt", retypeset())
    write("plan-2021-2023-headings-every-page.txt", headings_every_page())
    nxt = successor()
    write("plan-2023-2025.txt", nxt)
    write("plan-2023-2025.map", successor_map(nxt))


if __name__ == "__main__":
    main()
