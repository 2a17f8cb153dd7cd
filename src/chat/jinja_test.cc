// Interpreter tests: small templates whose expected output (or failure)
// came from Python's jinja2 with Hugging Face's settings, plus error
// positions, raise_exception and resource limits.
#include <gtest/gtest.h>

#include <string>

#include "chat/chat_template.h"

namespace radixlm {
namespace {

struct Case {
  const char* source;
  const char* context_json;
  bool ok;
  // The rendered text, or for failures "<Python exception>: <message>".
  const char* expected;
};

const Case kCases[] = {
    {"{% if true %}\n  yes\n{% endif %}\n  {% if x %}a{% else %}b{% endif %}\n", "{}", true, "  yes\nb"},
    {"a  {{- ' b ' -}}  c\n{{ 'd' }}\n", "{}", true, "a b c\nd"},
    {"  {#- comment #}\nx {# c2 -#}   y", "{}", true, "x y"},
    {"{%+ if true %}k{% endif +%}\nz", "{}", true, "k\nz"},
    {"line\n    {% for i in [1,2] %}\n    {{ i }}\n    {% endfor %}\nend", "{}", true, "line\n    1\n    2\nend"},
    {"{% raw %}{{ not parsed }}{% endraw %}!", "{}", true, "{{ not parsed }}!"},
    {"a\r\nb\rc\n", "{}", true, "a\nb\nc"},
    {"{% for x in items %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }} {% endfor %}", "{\"items\": [\"a\", \"b\", \"c\"]}", true, "1/0/3/2/True/False/3 2/1/2/1/False/False/3 3/2/1/0/False/True/3 "},
    {"{% for x in items if x != 'b' %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}|{% for x in [] %}{% else %}empty{% endfor %}", "{\"items\": [\"a\", \"b\", \"c\"]}", true, "a2c2|empty"},
    {"{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{}", true, "0134"},
    {"{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}", "{\"d\": {\"b\": 1, \"a\": [1, 2]}}", true, "b=1;a=[1, 2];ba"},
    {"{% set x = 0 %}{% for i in range(3) %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}", "{}", true, "0101010"},
    {"{% set ns = namespace(n=0, s='') %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }}:{{ ns.s }}", "{}", true, "3:012"},
    {"{% for a in [[1,2],[3]] %}{% for b in a %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }}|{% endfor %}", "{}", true, "11221|132|"},
    {"{% for c in 'héllo' %}[{{ c }}]{% endfor %}{{ loop is defined }}", "{}", true, "[h][é][l][l][o]False"},
    {"{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set blk %}X{{ a }}Y{% endset %}{{ blk }}{{ blk|length }}", "{}", true, "12X1Y3"},
    {"{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', punct='?') }} {{ greet(name='Cy') }}", "{}", true, "Hi Ann! Hi Bob? Hi Cy!"},
    {"{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 1.5 + 1 }} {{ 10 / 5 }}", "{}", true, "7 9 3 -4 1 2 1024 3.5 2.5 2.0"},
    {"{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ [1] + [2, 'x'] }} {{ 'x' + 'y' }}", "{}", true, "a1NoneTrue ababab [1, 2, 'x'] xy"},
    {"{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 'b' in 'abc' }} {{ 2 not in [1, 3] }} {{ 'k' in {'k': 1} }}", "{}", true, "True False True True True True True"},
    {"{{ x if x else 'dflt' }} {{ 'y' if false }}| {{ none or 'o' }} {{ 0 and 'z' }} {{ not 0 }} {{ not none is none }}", "{\"x\": \"\"}", true, "dflt | o 0 True False"},
    {"{{ d.a }} {{ d['a'] }} {{ d.missing }}|{{ d.missing is defined }} {{ l[0] }} {{ l[-1] }} {{ l[5] is defined }} {{ d.get('a') }} {{ d.get('zz', 'dv') }} {{ d.get('zz') }}", "{\"d\": {\"a\": \"A\"}, \"l\": [1, 2, 3]}", true, "A A |False 1 3 False A dv None"},
    {"{{ s[1:] }} {{ s[::-1] }} {{ s[:-1] }} {{ l[1:3] }} {{ l[::2] }} {{ s[10:] }}|{{ u[0] }}{{ u[-1] }}{{ u[1:3] }}", "{\"s\": \"hello\", \"l\": [0, 1, 2, 3, 4], \"u\": \"日本語テキスト\"}", true, "ello olleh hell [1, 2] [0, 2, 4] |日ト本語"},
    {"{{ [1, 'two', none, true, 1.0, {'k': [1]}] }} {{ {'a': 'b'} }} {{ \"it's\" }} {{ ('t', 1) }} {{ 1e20 }} {{ 0.1 + 0.2 }} {{ 3.0 }}", "{}", true, "[1, 'two', None, True, 1.0, {'k': [1]}] {'a': 'b'} it's ('t', 1) 1e+20 0.30000000000000004 3.0"},
    {"{{ x is defined }} {{ y is undefined }} {{ n is none }} {{ s is string }} {{ d is mapping }} {{ l is iterable }} {{ s is iterable }} {{ 3 is number }} {{ 3 is integer }} {{ 3.5 is float }} {{ true is boolean }} {{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 'a' is equalto 'a' }} {{ false is sameas false }} {{ y is iterable }} {{ l is sequence }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ range is callable }}", "{\"x\": 1, \"n\": null, \"s\": \"s\", \"d\": {}, \"l\": []}", true, "True True True True True True True True True True True True True True True True True True True True True"},
    {"{{ x is not none }} {{ x is not defined }} {{ x is false }} {{ x is true }} {{ 1 is gt 0 }} {{ 1 is le 0 }} {{ 'a' is in 'abc' }} {{ 2 is ne 2 }}", "{\"x\": false}", true, "True False True False True False True False"},
    {"{{ '  hi  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ 'hello world'|upper }}|{{ 'HeLLo'|lower }}|{{ 'hello WORLD'|capitalize }}|{{ 'hello big-world (x)'|title }}|{{ 'aaa'|replace('a', 'b', 2) }}", "{}", true, "hi|hi|HELLO WORLD|hello|Hello world|Hello Big-World (X)|bba"},
    {"{{ l|join(', ') }}|{{ l|join }}|{{ l|length }}|{{ l|count }}|{{ 'héllo'|length }}|{{ d|length }}|{{ l|first }}|{{ l|last }}|{{ 'abc'|first }}|{{ l|reverse|list }}|{{ 'abc'|reverse }}|{{ 'ab'|list }}", "{\"l\": [3, 1, 2], \"d\": {\"a\": 1}}", true, "3, 1, 2|312|3|3|5|1|3|2|a|[2, 1, 3]|cba|['a', 'b']"},
    {"{{ u|default('d') }}|{{ ''|default('d') }}|{{ ''|default('d', true) }}|{{ u|d('dd') }}|{{ none|default('n') }}", "{}", true, "d||d|dd|None"},
    {"{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ l|tojson(indent=4) }}|{{ 'é\"\\\\'|tojson }}|{{ none|tojson }}|{{ [] |tojson(indent=2) }}|{{ {}|tojson }}|{{ d|tojson(sort_keys=true) }}", "{\"d\": {\"z\": 1, \"a\": [true, null, 1.5, \"s\"], \"m\": {}}, \"l\": [1, [2, {\"k\": \"v\"}]]}", true, "{\"z\": 1, \"a\": [true, null, 1.5, \"s\"], \"m\": {}}|{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null,\n    1.5,\n    \"s\"\n  ],\n  \"m\": {}\n}|[\n    1,\n    [\n        2,\n        {\n            \"k\": \"v\"\n        }\n    ]\n]|\"é\\\"\\\\\"|null|[]|{}|{\"a\": [true, null, 1.5, \"s\"], \"m\": {}, \"z\": 1}"},
    {"{{ msgs|map(attribute='role')|join(',') }}|{{ msgs|selectattr('role', 'equalto', 'user')|list|length }}|{{ msgs|rejectattr('role', 'equalto', 'user')|map(attribute='content')|list }}|{{ msgs|selectattr('x', 'undefined')|list|length }}|{{ msgs|selectattr('x')|list }}|{{ [1,2,3,4]|select('odd')|list }}|{{ [1,2,3]|reject('even')|list }}|{{ ['a','b']|map('upper')|list }}", "{\"msgs\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\", \"x\": 1}, {\"role\": \"user\", \"content\": \"c\"}]}", true, "user,assistant,user|2|['b']|2|[{'role': 'assistant', 'content': 'b', 'x': 1}]|[1, 3]|[1, 3]|['A', 'B']"},
    {"{{ d|items|list }}|{% for k, v in d|items %}{{ k }}{{ v }}{% endfor %}|{{ d|dictsort }}|{{ 3|string ~ 'x' }}|{{ '42'|int + 1 }}|{{ 'x'|int }}|{{ '3.7'|int }}|{{ 3.9|int }}|{{ '2.5'|float }}|{{ 'q'|float }}|{{ '<a&b>'|escape }}|{{ '<b>'|safe }}", "{\"d\": {\"b\": 2, \"a\": 1}}", true, "[('b', 2), ('a', 1)]|b2a1|[('a', 1), ('b', 2)]|3x|43|0|3|3|2.5|0.0|&lt;a&amp;b&gt;|<b>"},
    {"{{ [3,1,2]|sort }}|{{ ['b','A','c']|sort }}|{{ [3,1,2]|sort(reverse=true) }}|{{ [1,2,1,3]|unique|list }}|{{ [4,2,8]|max }}|{{ [4,2,8]|min }}|{{ [1,2,3]|sum }}|{{ -3|abs }}|{{ 2.567|round(2) }}|{{ 2.5|round }}|{{ 'a b  c'|wordcount }}|{{ 'x\ny\n\nz'|indent(2) }}|{{ 'x\ny'|indent(2, true) }}", "{}", true, "[1, 2, 3]|['A', 'b', 'c']|[3, 2, 1]|[1, 2, 3]|8|2|6|3|2.57|2.0|3|x\n  y\n\n  z|  x\n  y"},
    {"{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ s.startswith(' ') }}|{{ 'abc'.endswith('bc') }}|{{ 'abc'.startswith(('x', 'a')) }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ 'a-b'.replace('-', '+') }}|{{ 'hello world'.title() }}|{{ 'abc'.find('c') }}|{{ '-'.join(['a', 'b']) }}|{{ 'aXbX'.count('X') }}", "{\"s\": \"  pad  \"}", true, "pad|pad  |  pad|a|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|True|True|True|ABab|a+b|Hello World|2|a-b|2"},
    {"{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ [1,2,3].index(2) }} {{ [1,1,2].count(1) }}", "{\"d\": {\"x\": 1, \"y\": \"z\"}}", true, "['x', 'y'] [1, 'z'] [('x', 1), ('y', 'z')] 1 2"},
    {"{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }} {{ strftime_now('%Y-%m-%d %H:%M %A %B') }} {{ dict(a=1, b='x') }} {{ namespace(a=1).a }}", "{}", true, "[0, 1, 2] [1, 3, 5] [5, 3, 1] 2025-01-01 00:00 Wednesday January {'a': 1, 'b': 'x'} 1"},
    {"{% if a %}A{% elif b %}B{% elif c %}C{% else %}D{% endif %}{% if not a and not b %}!{% endif %}", "{\"c\": 1}", true, "C!"},
    {"{{ 'a' 'b' }} {{ \"\\u00e9\\x41\\n\\t|\" }} {{ 'esc\\'q' }} {{ 1_000 }} {{ 1.5e3 }}", "{}", true, "ab éA\n\t| esc'q 1000 1500.0"},
    {"{{ x.y }}", "{}", false, "UndefinedError: 'x' is undefined"},
    {"{{ 1 + 'a' }}", "{}", false, "TypeError: unsupported operand type(s) for +: 'int' and 'str'"},
    {"{{ {'a': 1}.x.y }}", "{}", false, "UndefinedError: 'dict object' has no attribute 'x'"},
    {"{{ ''.join([1]) }}", "{}", false, "TypeError: sequence item 0: expected str instance, int found"},
    {"{% for a, b in [[1]] %}{% endfor %}", "{}", false, "ValueError: not enough values to unpack (expected 2, got 1)"},
    {"{% set x = 5 %}{% set x.y = 1 %}", "{}", false, "TemplateRuntimeError: cannot assign attribute on non-namespace object"},
    {"{{ [1].append(2) }}", "{}", false, "SecurityError: access to attribute 'append' of 'list' object is unsafe."},
    {"{{ range(200000)|length }}", "{}", false, "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."},
    {"{{ 1 / 0 }}", "{}", false, "ZeroDivisionError: division by zero"},
    {"{{ none + 1 }}", "{}", false, "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'"},
};

Status RenderWith(const std::string& source, const std::string& context, std::string* out) {
  std::unique_ptr<ChatTemplate> t;
  RLM_RETURN_IF_ERROR(ChatTemplate::Parse(source, &t));
  ChatTemplateInputs in;
  in.extra_context_json = context;
  in.now_unix_seconds = 1735689600;
  return t->Render(in, out);
}

TEST(JinjaTest, MatchesJinja2) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.source);
    std::string out;
    Status s = RenderWith(c.source, c.context_json, &out);
    if (c.ok) {
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(out, c.expected);
    } else {
      ASSERT_FALSE(s.ok()) << out;
      std::string want = c.expected;
      want = want.substr(want.find(": ") + 2);
      EXPECT_NE(s.message().find(want), std::string::npos) << s.ToString() << "\nwant: " << want;
    }
  }
}

std::string ParseError(const std::string& source) {
  std::unique_ptr<ChatTemplate> t;
  Status s = ChatTemplate::Parse(source, &t);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << source;
  return s.message();
}

TEST(JinjaTest, UnsupportedConstructsNamePosition) {
  EXPECT_EQ(ParseError("ok\n  {% include 'x.j2' %}"),
            "chat template: line 2, column 3: unsupported statement 'include'");
  EXPECT_EQ(ParseError("{% extends 'base' %}"),
            "chat template: line 1, column 1: unsupported statement 'extends'");
  EXPECT_EQ(ParseError("{{ x | nosuchfilter }}"),
            "chat template: line 1, column 8: unknown filter 'nosuchfilter'");
  EXPECT_EQ(ParseError("{% if x is frobbed %}{% endif %}"),
            "chat template: line 1, column 12: unknown test 'frobbed'");
  EXPECT_EQ(ParseError("{% for x in y recursive %}{% endfor %}"),
            "chat template: line 1, column 15: unsupported construct 'recursive' loop");
  EXPECT_NE(ParseError("{% if x %}no end").find("expected 'elif' or 'else' or 'endif'"), std::string::npos);
  EXPECT_NE(ParseError("{{ 'open").find("line 1, column 4: unterminated string"), std::string::npos);
  EXPECT_NE(ParseError("{{ x ").find("expected '}}'"), std::string::npos);
  EXPECT_NE(ParseError("{# never closed").find("missing end of comment"), std::string::npos);
  EXPECT_NE(ParseError("{% break %}").find("outside of a loop"), std::string::npos);
  EXPECT_NE(ParseError("{{ f(*args) }}").find("unsupported construct"), std::string::npos);
  EXPECT_NE(ParseError("{{ a ! b }}").find("unexpected character '!'"), std::string::npos);
  EXPECT_NE(ParseError("{{ (1 ] }}").find("unexpected ']'"), std::string::npos);
}

TEST(JinjaTest, RuntimeErrorsNamePosition) {
  std::string out;
  Status s = RenderWith("line1\n{{ 1 + 'a' }}", "", &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "chat template: line 2, column 6: unsupported operand type(s) for +: 'int' and 'str'");
  s = RenderWith("{{ missing.attr }}", "", &out);
  EXPECT_EQ(s.message(), "chat template: line 1, column 11: 'missing' is undefined");
}

TEST(JinjaTest, RaiseExceptionSurfacesMessage) {
  std::string out;
  Status s = RenderWith("a{% for i in range(3) %}{% if i == 1 %}{{ raise_exception('Bad role: ' ~ i) }}{% endif %}{% endfor %}", "", &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "Bad role: 1");
  // From inside a macro, too.
  s = RenderWith("{% macro m() %}{{ raise_exception('in macro') }}{% endmacro %}{{ m() }}", "", &out);
  EXPECT_EQ(s.message(), "in macro");
}

TEST(JinjaTest, GenerationBlockRendersInPlace) {
  std::string out;
  ASSERT_TRUE(RenderWith("a{% generation %}b{{ 1 }}{% endgeneration %}c", "", &out).ok());
  EXPECT_EQ(out, "ab1c");
}

TEST(JinjaTest, UndefinedRendersEmpty) {
  std::string out;
  ASSERT_TRUE(RenderWith("[{{ nothing }}][{{ nothing is defined }}][{{ nothing|length }}][{% for x in nothing %}x{% endfor %}]", "", &out).ok());
  EXPECT_EQ(out, "[][False][0][]");
}

TEST(JinjaTest, DeepNestingIsRefusedNotCrashing) {
  const int n = 100000;
  EXPECT_NE(ParseError("{{ " + std::string(n, '(') + "1" + std::string(n, ')') + " }}").find("nested too deeply"), std::string::npos);
  EXPECT_NE(ParseError("{{ " + std::string(n, '[') + std::string(n, ']') + " }}").find("nested too deeply"), std::string::npos);
  std::string chain = "{{ 1";
  for (int i = 0; i < n; i++) chain += " + 1";
  EXPECT_NE(ParseError(chain + " }}").find("nested too deeply"), std::string::npos);
  std::string filters = "{{ 'x'";
  for (int i = 0; i < n; i++) filters += "|trim";
  EXPECT_NE(ParseError(filters + " }}").find("nested too deeply"), std::string::npos);
  std::string nots = "{{ " ;
  for (int i = 0; i < n; i++) nots += "not ";
  EXPECT_NE(ParseError(nots + "1 }}").find("nested too deeply"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 1000; i++) ifs += "{% if true %}";
  EXPECT_NE(ParseError(ifs).find("nested too deeply"), std::string::npos);
  // Moderate nesting works.
  std::string out;
  ASSERT_TRUE(RenderWith("{{ " + std::string(50, '(') + "7" + std::string(50, ')') + " }}", "", &out).ok());
  EXPECT_EQ(out, "7");
}

TEST(JinjaTest, RunawayTemplatesHitLimits) {
  std::string out;
  Status s = RenderWith("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "", &out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("nested too deeply"), std::string::npos);
  s = RenderWith("{{ 'x' * 1000000000000 }}", "", &out);
  EXPECT_FALSE(s.ok());
  s = RenderWith("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", "", &out);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
}

TEST(JinjaTest, HugeInputsRender) {
  std::string big(1 << 20, 'a');
  std::string out;
  ASSERT_TRUE(RenderWith("{{ s|length }}{{ s[-3:] }}", "{\"s\": \"" + big + "\"}", &out).ok());
  EXPECT_EQ(out, "1048576aaa");
}

}  // namespace
}  // namespace radixlm
