"""The glossary's term map: the book's own terms that OpenCC's phrase-aware Taiwan→mainland conversion gets
wrong (批次量 → 批量量), fixed after it; tests/test_bilingual.py checks each. The site's other words are in
``book/text/`` (interface.yml, verdicts.yml), the chapters' in their pages."""

HANS_TERMS = {"批量量": "批量大小", "批次量": "批量大小", "设置档": "配置", "量测": "测量", "建置": "构建",
              "判准": "判据"}
