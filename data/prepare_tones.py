"""给 data/ci.txt 里的每个汉字查出它在《廣韻》里的读音：平还是仄、属于《詞林正韻》的哪一部。data/prepare_tunes.py
调用它，把读音和从训练集数出的每个词牌的平仄、韵脚一起写进 data/tunes.json（采样器的 --tune、learners/form_check.py、
learners/watch.py 读它）：

    python data/prepare_tunes.py    # 要先装好 tshet-uinh 和 opencc（requirements.txt 里有）

- 声调按中古音，不按普通话：入声字（一、国、白、月、竹、笛）在词里是仄，普通话却把不少读成一声、二声。
  读音来自 tshet-uinh（《廣韻》的全部小韻，纯 Python）；语料是简体，《廣韻》的字头是繁体，用 OpenCC（s2t）转过去，
  本字和转出来的字的读音都算（后/後、发/發……）。
- 平：平声；仄：上、去、入声。一个字几种读音（看、和、生、不）平仄都有的，记作“两读”：放在平的位置、仄的位置都算合。
  释义是“上同”的条目只是借字（“風”借作“諷”），不算这个字的读音。
- 韵部：《詞林正韻》（戈載，1821）把《廣韻》的 206 韵并成 19 部，第 1–14 部是平上去，第 15–19 部是入声；
  下面的 BU 就是它的部目表（tshet-uinh 的韵名以平声韵代表上去入，桓并入寒、戈并入歌、諄并入真，欣写作殷）。
  佳、泰两韵各有一半在两部里（佳：第 5、10 部；泰：第 3、5 部），这里两部都算。
- 《廣韻》里查不到的字不写进去：它们在所有的分数里都不算（页面报告这样的字占多少）。
"""

SOURCE = "读音：tshet-uinh（《廣韻》的小韻）+ OpenCC s2t；韵部：戈載《詞林正韻》（1821）的 19 部"
BU = {  # 《詞林正韻》：部 -> 平上去的韵（第 1–14 部）或入声的韵（第 15–19 部，按配对的平声韵写）
    1: "東冬鍾", 2: "江陽唐", 3: "支脂之微齊灰祭廢泰", 4: "魚虞模", 5: "佳皆咍夬泰", 6: "真臻文殷魂痕", 7: "元寒刪山先仙",
    8: "蕭宵肴豪", 9: "歌", 10: "佳麻", 11: "庚耕清青蒸登", 12: "尤侯幽", 13: "侵", 14: "覃談鹽添咸銜嚴凡",
    15: "東冬鍾", 16: "江陽唐", 17: "真臻庚耕清青蒸登侵", 18: "文殷魂痕元寒刪山先仙鹽添", 19: "覃談咸銜嚴凡",
}


def groups(rhyme, tone):
    """《廣韻》的一个读音（韵、声调）属于哪几部。"""
    checked = tone == "入"
    return sorted(bu for bu, rhymes in BU.items() if rhyme in rhymes and (bu >= 15) == checked)


def readings(char, convert, query):
    """一个字的全部读音 [(平或仄, [部...])]，本字和它的繁体各查一遍，去掉重复的。释义写着“上同”的条目（这个字只是
    借作前一个字头的写法，如“風”借作“諷”读去声）不算，除非这个字别无读音。"""
    hits = [hit for form in dict.fromkeys([char, convert(char)]) for hit in query(form)]
    own = [hit for hit in hits if not (hit.釋義 or "").startswith(("上同", "同上"))] or hits
    found = []
    for hit in own:
        status = hit.音韻地位
        reading = ("平" if status.聲 == "平" else "仄", groups(status.韻, status.聲))
        if reading not in found:
            found.append(reading)
    return found


def build(chars):
    """{字: [[平或仄, [部...]], ...]}：查不到的字不在里面。"""
    import opencc
    import tshet_uinh

    convert = opencc.OpenCC("s2t").convert
    table = {}
    for char in chars:
        found = readings(char, convert, tshet_uinh.資料.query字頭)
        if found:
            table[char] = [[tone, bu] for tone, bu in found]
    return table
