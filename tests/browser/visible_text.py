"""What a person sees on a staff page, to check that an English page says nothing in Turkish.

`seen_texts(page, data_selector)` lists every visible text of the page: its title, the text of
every visible element and the title, aria-label, placeholder and alt of every visible element,
except inside elements matching `data_selector` (what people wrote: shoppers' messages, names).
`turkish(texts, data)` keeps those with letters only Turkish has, once the `data` strings (names,
shoppers' words that also appear inside our sentences) are taken out of them.
"""
import re
from typing import Iterable, List

TURKISH_ONLY = re.compile("[ğüşıöçĞÜŞİÖÇ]")

SEEN_TEXTS = """(dataSelector) => {
  const visible = (element) => element.checkVisibility({ visibilityProperty: true, opacityProperty: true });
  const isData = (element) => !!(dataSelector && element.closest(dataSelector));
  const texts = [{ where: 'document.title', text: document.title }];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !element || element.closest('script, style, template') || isData(element)) continue;
    if (element.tagName === 'OPTION' ? !visible(element.parentElement) : !visible(element)) continue;
    texts.push({ where: element.id ? '#' + element.id : element.tagName.toLowerCase(), text: text });
  }
  document.querySelectorAll('[title], [aria-label], [placeholder], [alt]').forEach((element) => {
    if (!visible(element) || isData(element)) return;
    ['title', 'aria-label', 'placeholder', 'alt'].forEach((name) => {
      const text = (element.getAttribute(name) || '').trim();
      if (text) texts.push({ where: (element.id ? '#' + element.id : element.tagName.toLowerCase()) + '@' + name, text: text });
    });
  });
  return texts;
}"""


def seen_texts(page, data_selector: str = "") -> List[dict]:
    return page.evaluate(SEEN_TEXTS, data_selector)


def turkish(texts: Iterable[dict], data: Iterable[str] = ()) -> List[dict]:
    data = sorted((value for value in data if value), key=len, reverse=True)
    found = []
    for item in texts:
        text = item["text"]
        for value in data:
            text = text.replace(value, "")
        if TURKISH_ONLY.search(text):
            found.append(item)
    return found
