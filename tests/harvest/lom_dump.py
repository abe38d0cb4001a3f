"""A dump of LOM / Normetic files written for ren-index's tests: what a migrated collection looks like.

Shaped after the Profweb and VTÉ exports Éductive received: single-record files in folders by
discipline (with a LOM identifier), files without identifier, files holding several records
(an export wrapper, a saved OAI-PMH page), and what goes wrong in real dumps — a truncated file,
an empty one, Dublin Core in a ``.xml``, LOM without its namespace, the same resource exported
twice — and what an attacker would put in: "billion laughs", an external entity, an external
DTD, a file over the size limit, symbolic links out of the dump, a FIFO. Beside them, files the
import must skip without a word: a ``README.txt``, ``.DS_Store``, macOS's ``__MACOSX/._*.xml``.

:func:`write_dump` returns a :class:`Manifest`: which identifiers must reach the ledger (and
from which file), and which files must each give exactly one problem line.
:func:`write_zip` zips the folder (links as link entries) and adds what only an archive can
hold: paths out of the archive, a zip bomb, an entry in bzip2.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from ren_index.harvest.dump_files import MAX_FILE_BYTES

LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
DISCIPLINES = (
    ("sciences/chimie", "Chimie", "secondaire"),
    ("sciences/physique", "Physique", "collégial"),
    ("sciences/biologie", "Biologie", "secondaire"),
    ("langues/francais", "Français", "primaire"),
    ("langues/anglais", "English as a second language", "secondaire"),
    ("mathematiques", "Mathématiques", "collégial"),
)
LICENCES = (
    "https://creativecommons.org/licenses/by/4.0/",
    "https://creativecommons.org/licenses/by-sa/4.0/",
    "https://creativecommons.org/licenses/by-nc-sa/4.0/",
)
DUPLICATED = "https://www.profweb.example.qc.ca/ressources/7"
"""The identifier a VTÉ file gives again (the same resource in both exports)."""
SECRET = "https://outside.example/secret"
"""The identifier of a LOM file outside the dump, reachable only through a symbolic link."""


@dataclass
class Manifest:
    """What a dump holds, as the import must see it."""

    root: Path
    records: dict[str, str] = field(default_factory=dict)
    """Identifier → label (relative path) of the file it comes from."""
    problems: dict[str, str] = field(default_factory=dict)
    """Label → why: one problem line each."""
    single: list[str] = field(default_factory=list)
    """Labels of files holding exactly one readable record (handy to remove one)."""


def lom(
    n: int,
    *,
    identifier: str | None,
    title: str,
    discipline: str,
    level: str,
    licence: str | None,
    english: bool = False,
    namespace: bool = True,
) -> str:
    """One Normetic-style record (no XML declaration: it may be wrapped)."""
    lang = "en" if english else "fr-CA"
    ident = (
        f"<identifier><catalog>URI</catalog><entry>{escape(identifier)}</entry></identifier>"
        if identifier
        else ""
    )
    description = (
        f"Activity {n} for the {discipline} class: worked examples, exercises and their answers."
        if english
        else f"Activité {n} du cours de {discipline} : exemples commentés, exercices et corrigés."
    )
    rights = (
        "<rights><cost><source>LOMv1.0</source><value>no</value></cost>"
        "<copyrightAndOtherRestrictions><source>LOMv1.0</source><value>yes</value>"
        f'</copyrightAndOtherRestrictions><description><string language="{lang}">{licence}</string>'
        "</description></rights>"
        if licence
        else ""
    )
    xmlns = f' xmlns="{LOM_NS}"' if namespace else ""
    return (
        f'<lom{xmlns}><general>{ident}<title><string language="{lang}">{escape(title)}</string></title>'
        f"<language>{'en' if english else 'fr'}</language>"
        f'<description><string language="{lang}">{escape(description)}</string></description>'
        f'<keyword><string language="{lang}">{escape(discipline)}</string></keyword></general>'
        "<lifeCycle><contribute><role><source>LOMv1.0</source><value>publisher</value></role>"
        "<entity>BEGIN:VCARD\nVERSION:3.0\nFN:Profweb\nEND:VCARD</entity>"
        f"<date><dateTime>2015-0{1 + n % 9}-1{n % 10}</dateTime></date></contribute></lifeCycle>"
        f"<technical><format>text/html</format><location>https://ressources.example.qc.ca/r/{n}"
        "</location></technical><educational><learningResourceType>"
        "<source>http://www.normetic.org/vdex/typeressourcev1_2.xml</source><value>exercice</value>"
        "</learningResourceType><context><source>http://www.normetic.org/vdex/contexte.xml</source>"
        f"<value>{level}</value></context></educational>{rights}</lom>"
    )


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)


def write_dump(root: Path, *, singles: int = 240, anonymous: int = 40, hostile: bool = True) -> Manifest:
    """Write the dump under ``root`` (which must not exist); ``hostile=False`` for a clean small one."""
    found = Manifest(root=root)
    root.mkdir(parents=True)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    for n in range(1, singles + 1):
        folder, discipline, level = DISCIPLINES[n % len(DISCIPLINES)]
        identifier = f"https://www.profweb.example.qc.ca/ressources/{n}"
        label = f"profweb/{folder}/pw-{n:04d}.xml"
        english = "English" in discipline
        title = f"{discipline} — fiche {n}" if not english else f"{discipline} — worksheet {n}"
        licence = None if n % 5 == 0 else LICENCES[n % len(LICENCES)]  # one in five: no licence
        _write(
            root / label,
            head
            + lom(
                n,
                identifier=identifier,
                title=title,
                discipline=discipline,
                level=level,
                licence=licence,
                english=english,
            ),
        )
        found.records[identifier] = label
        found.single.append(label)
    for n in range(1, anonymous + 1):  # VTÉ exported no identifier: the path stands for it
        label = f"vte/sans-identifiant/vte-{n:03d}.xml"
        _write(
            root / label,
            head
            + lom(
                1000 + n,
                identifier=None,
                title=f"Vidéo VTÉ n° {n}",
                discipline="Physique",
                level="collégial",
                licence=LICENCES[0],
            ),
        )
        found.records[label] = label
        found.single.append(label)
    for batch in range(1, 11):  # export wrappers of five records, two of them without identifier
        label = f"vte/lots/lot-{batch:02d}.xml"
        body = []
        for k in range(1, 6):
            n = 2000 + batch * 10 + k
            identifier = None if k in (2, 4) else f"https://vitrine.example.qc.ca/fiche/{n}"
            body.append(
                lom(
                    n,
                    identifier=identifier,
                    title=f"Fiche VTÉ {n}",
                    discipline="Chimie",
                    level="secondaire",
                    licence=LICENCES[1],
                )
            )
            found.records[identifier or f"{label}#{k}"] = label
        _write(root / label, head + '<export source="VTÉ">' + "".join(body) + "</export>")
    oai = (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        + "".join(
            f"<record><header><identifier>oai:vte:{n}</identifier></header><metadata>"
            + lom(
                n,
                identifier=None,
                title=f"Page OAI {n}",
                discipline="Biologie",
                level="secondaire",
                licence=LICENCES[2],
            )
            + "</metadata></record>"
            for n in (3001, 3002, 3003)
        )
        + '<record><header status="deleted"><identifier>oai:vte:3004</identifier></header></record>'
        + "</ListRecords></OAI-PMH>"
    )
    _write(root / "vte/oai/page-1.xml", head + oai)
    for k in (1, 2, 3):
        found.records[f"vte/oai/page-1.xml#{k}"] = "vte/oai/page-1.xml"
    # The same resource in both exports: the VTÉ copy (later in path order) is a problem line.
    _write(
        root / "vte/doublons/pw-7-copie.xml",
        head
        + lom(
            7,
            identifier=DUPLICATED,
            title="Copie",
            discipline="Chimie",
            level="secondaire",
            licence=LICENCES[0],
        ),
    )
    found.problems["vte/doublons/pw-7-copie.xml"] = "duplicate identifier"
    # Files to skip without a word.
    _write(root / "LISEZMOI.txt", "Export Profweb / VTÉ, 2024.\n")
    _write(root / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    _write(root / "__MACOSX/profweb/._pw-0001.xml", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    _write(root / "vte/.cache/notes.xml", "<notes/>")
    if hostile:
        _hostile(root, found, head)
    return found


def _hostile(root: Path, found: Manifest, head: str) -> None:
    """Files that must each be one problem line, and change nothing else."""
    record = lom(
        9000,
        identifier="https://hostile.example/9000",
        title="Hostile",
        discipline="Chimie",
        level="secondaire",
        licence=LICENCES[0],
    )
    cases: dict[str, str | bytes] = {
        "problemes/tronque.xml": head + record[: len(record) // 2],
        "problemes/vide.xml": b"",
        "problemes/dublin-core.xml": head
        + '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Pas du LOM</dc:title></oai_dc:dc>',
        "problemes/lom-sans-espace-de-noms.xml": head
        + lom(
            9001,
            identifier="https://hostile.example/9001",
            title="Sans espace de noms",
            discipline="Chimie",
            level="secondaire",
            licence=None,
            namespace=False,
        ),
        "problemes/billion-laughs.xml": head
        + '<!DOCTYPE lom [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        + record.replace("Hostile", "&lol3;"),
        "problemes/xxe.xml": head
        + '<!DOCTYPE lom [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + record.replace("Hostile", "&xxe;"),
        "problemes/dtd-externe.xml": head
        + '<!DOCTYPE lom SYSTEM "http://127.0.0.1:9/lom.dtd">'
        + record.replace("Hostile", "&ext;"),
    }
    for label, text in cases.items():
        _write(root / label, text)
        found.problems[label] = label.split("/")[-1]
    huge = root / "problemes/enorme.xml"  # one byte over the limit: refused before a byte is parsed
    with huge.open("wb") as out:
        out.write(f'{head}<lom xmlns="{LOM_NS}"><general><description><string>'.encode())
        out.write(b"A" * (MAX_FILE_BYTES + 1 - out.tell()))
    found.problems["problemes/enorme.xml"] = "huge"
    outside = root.parent / f"{root.name}-dehors"
    _write(outside / "secret.xml", head + record.replace("https://hostile.example/9000", SECRET))
    os.symlink(outside / "secret.xml", root / "problemes/lien-vers-dehors.xml")
    os.symlink(outside, root / "problemes/dossier-lie")
    os.symlink("/etc/passwd", root / "problemes/passwd.xml")
    found.problems |= {
        "problemes/lien-vers-dehors.xml": "symlink",
        "problemes/dossier-lie": "symlinked folder",
        "problemes/passwd.xml": "symlink",
    }
    os.mkfifo(root / "problemes/fifo.xml")  # a read would block forever
    found.problems["problemes/fifo.xml"] = "fifo"


ZIP_ONLY = {
    "../../evil.xml": "path out of the archive",
    "/etc/absolute.xml": "absolute path",
    "C:\\Windows\\evil.xml": "drive letter",
    "profweb/../../../escape.xml": "path out of the archive",
    "bombe/bombe.xml": "zip bomb (ratio)",
    "bombe/bzip2.xml": "compression method not read",
}
"""Entries only an archive can hold, each a problem line of the zip import."""


def write_zip(dump: Manifest, target: Path) -> dict[str, str]:
    """Zip the dump (paths relative to its root, links as link entries) plus :data:`ZIP_ONLY`.

    Returns the zip's problems: the folder's (the FIFO aside: an archive cannot hold one) and the
    archive-only entries.
    """
    problems = {k: v for k, v in dump.problems.items() if v != "fifo"}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(dump.root.rglob("*")):
            rel = path.relative_to(dump.root).as_posix()
            if path.is_symlink():
                info = zipfile.ZipInfo(rel)
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, os.readlink(path))
            elif path.is_file():
                archive.write(path, rel)
        record = lom(
            1,
            identifier="https://evil.example/1",
            title="Evil",
            discipline="Chimie",
            level="secondaire",
            licence=None,
        )
        for name in ZIP_ONLY:
            if name == "bombe/bombe.xml":  # 8 MiB of blanks inflate 1,000 times: below the size cap
                archive.writestr(name, f'<lom xmlns="{LOM_NS}">' + " " * (8 * 1024 * 1024) + "</lom>")
            elif name == "bombe/bzip2.xml":
                archive.writestr(name, record, compress_type=zipfile.ZIP_BZIP2)
            else:
                archive.writestr(zipfile.ZipInfo(name), record)
    problems |= ZIP_ONLY
    return problems
