#include "sampling/stop_strings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace radixlm {
namespace {

// Feeds `pieces` one by one; returns everything emitted (plus the flush when
// no stop matched) and sets *stopped.
std::string Stream(std::vector<std::string> stops, const std::vector<std::string>& pieces,
                bool* stopped = nullptr) {
  StopStringMatcher m(std::move(stops));
  std::string out;
  bool stop = false;
  for (const std::string& p : pieces) {
    if (m.Feed(p, &out)) {
      stop = true;
      break;
    }
  }
  if (!stop) m.Flush(&out);
  EXPECT_EQ(m.stopped(), stop);
  if (stopped) *stopped = stop;
  return out;
}

TEST(StopStringsTest, NoStopsPassesThrough) {
  StopStringMatcher m({});
  std::string out;
  EXPECT_FALSE(m.Feed("hello ", &out));
  EXPECT_EQ(out, "hello ");
  EXPECT_FALSE(m.Feed("world", &out));
  EXPECT_EQ(out, "hello world");
  m.Flush(&out);
  EXPECT_EQ(out, "hello world");
}

TEST(StopStringsTest, EmptyStopIgnored) {
  bool stopped;
  EXPECT_EQ(Stream({"", ""}, {"abc", "def"}, &stopped), "abcdef");
  EXPECT_FALSE(stopped);
  EXPECT_EQ(Stream({"", "c"}, {"abc", "def"}, &stopped), "ab");
  EXPECT_TRUE(stopped);
}

TEST(StopStringsTest, MatchInsideOnePiece) {
  StopStringMatcher m({"STOP"});
  std::string out;
  EXPECT_TRUE(m.Feed("abcSTOPdef", &out));
  EXPECT_EQ(out, "abc");
  EXPECT_TRUE(m.stopped());
  // Later calls emit nothing.
  EXPECT_TRUE(m.Feed("more", &out));
  m.Flush(&out);
  EXPECT_EQ(out, "abc");
}

TEST(StopStringsTest, PartialHeldBackThenResolved) {
  StopStringMatcher m({"</s>"});
  std::string out;
  EXPECT_FALSE(m.Feed("hi <", &out));
  EXPECT_EQ(out, "hi ");  // "<" could start "</s>"
  EXPECT_FALSE(m.Feed("/", &out));
  EXPECT_EQ(out, "hi ");
  EXPECT_FALSE(m.Feed("x", &out));  // "</x" is no stop: released
  EXPECT_EQ(out, "hi </x");
  EXPECT_FALSE(m.Feed("</", &out));
  EXPECT_EQ(out, "hi </x");
  EXPECT_TRUE(m.Feed("s>tail", &out));
  EXPECT_EQ(out, "hi </x");
}

TEST(StopStringsTest, FlushReleasesHeldText) {
  StopStringMatcher m({"STOP"});
  std::string out;
  EXPECT_FALSE(m.Feed("abcST", &out));
  EXPECT_EQ(out, "abc");
  m.Flush(&out);
  EXPECT_EQ(out, "abcST");
  EXPECT_FALSE(m.stopped());
  // Flushing twice adds nothing.
  m.Flush(&out);
  EXPECT_EQ(out, "abcST");
}

TEST(StopStringsTest, SpansManyFeeds) {
  bool stopped;
  EXPECT_EQ(Stream({"<|im_end|>"}, {"ok", "<", "|", "im", "_", "end", "|", ">", "x"},
                &stopped),
            "ok");
  EXPECT_TRUE(stopped);
  // One byte at a time.
  std::vector<std::string> bytes;
  for (char c : std::string("say <|im_end|> no")) bytes.push_back(std::string(1, c));
  EXPECT_EQ(Stream({"<|im_end|>"}, bytes, &stopped), "say ");
  EXPECT_TRUE(stopped);
}

TEST(StopStringsTest, HeldPrefixRestartsInsideItself) {
  // "aab": after "aa" fails as "aab"'s prefix, "a" must still be held.
  StopStringMatcher m({"aab"});
  std::string out;
  EXPECT_FALSE(m.Feed("xaa", &out));
  EXPECT_EQ(out, "x");
  EXPECT_FALSE(m.Feed("a", &out));  // "aaa": the last "aa" is still a prefix
  EXPECT_EQ(out, "xa");
  EXPECT_TRUE(m.Feed("b", &out));
  EXPECT_EQ(out, "xa");
}

TEST(StopStringsTest, FirstCompletedStopWins) {
  bool stopped;
  // Both complete in the same piece; "bcd" completes first.
  EXPECT_EQ(Stream({"cde", "bcd"}, {"abcdef"}, &stopped), "a");
  EXPECT_TRUE(stopped);
  // "b" completes before "abc" would, however the text is split.
  EXPECT_EQ(Stream({"abc", "b"}, {"xa", "bc"}, &stopped), "xa");
  EXPECT_TRUE(stopped);
  EXPECT_EQ(Stream({"abc", "b"}, {"xabc"}, &stopped), "xa");
  EXPECT_EQ(Stream({"abcd", "bc"}, {"a", "b", "c", "d"}, &stopped), "a");
  EXPECT_TRUE(stopped);
  // Same end: the longer (earlier starting) stop wins.
  EXPECT_EQ(Stream({"c", "abc"}, {"xabc"}, &stopped), "x");
  // One stop is a prefix of another: the shorter one completes first.
  EXPECT_EQ(Stream({"\n\n", "\n"}, {"line", "\n", "\n"}, &stopped), "line");
  EXPECT_TRUE(stopped);
}

TEST(StopStringsTest, HoldsLongestPartialOfAnyStop) {
  StopStringMatcher m({"xyz", "yzw"});
  std::string out;
  EXPECT_FALSE(m.Feed("axy", &out));
  EXPECT_EQ(out, "a");  // "xy" starts "xyz"
  EXPECT_TRUE(m.Feed("zq", &out));  // "xyz" completes
  EXPECT_EQ(out, "a");

  StopStringMatcher n({"xyz", "yzw"});
  out.clear();
  EXPECT_FALSE(n.Feed("ay", &out));
  EXPECT_EQ(out, "a");
  EXPECT_FALSE(n.Feed("z", &out));
  EXPECT_EQ(out, "a");  // "yz" still starts "yzw"
  EXPECT_FALSE(n.Feed("q", &out));
  EXPECT_EQ(out, "ayzq");
}

TEST(StopStringsTest, Utf8Multibyte) {
  bool stopped;
  // Stop made of multibyte characters, fed split inside a character.
  const std::string stop = "\xE3\x80\x82\xE3\x80\x82";  // "。。"
  const std::string text = "\xE4\xBD\xA0\xE5\xA5\xBD" + stop + "\xE5\x90\x97";
  std::vector<std::string> bytes;
  for (char c : text) bytes.push_back(std::string(1, c));
  EXPECT_EQ(Stream({stop}, bytes, &stopped), "\xE4\xBD\xA0\xE5\xA5\xBD");
  EXPECT_TRUE(stopped);
  // A single "。" is released once the next character shows it is no stop.
  EXPECT_EQ(Stream({stop}, {"\xE4\xBD\xA0\xE3\x80\x82", "\xE5\xA5\xBD"}, &stopped),
            "\xE4\xBD\xA0\xE3\x80\x82\xE5\xA5\xBD");
  EXPECT_FALSE(stopped);
  // Emoji stop, whole pieces.
  EXPECT_EQ(Stream({"\xF0\x9F\x9B\x91"}, {"go ", "\xF0\x9F\x9B", "\x91", " no"}, &stopped),
            "go ");
  EXPECT_TRUE(stopped);
}

TEST(StopStringsTest, EmptyFeed) {
  StopStringMatcher m({"ab"});
  std::string out;
  EXPECT_FALSE(m.Feed("", &out));
  EXPECT_FALSE(m.Feed("a", &out));
  EXPECT_FALSE(m.Feed("", &out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(m.Feed("b", &out));
  EXPECT_EQ(out, "");
}

// Streaming in any split into three pieces gives the same result as the
// whole text at once.
TEST(StopStringsTest, AnySplitMatchesWhole) {
  const std::vector<std::vector<std::string>> stop_sets = {
      {"END", "ENX", "NDE", "E\n"}, {"abc", "b"}, {"xyz", "y", "xy"}, {"aa", "aab"}};
  const std::vector<std::string> texts = {"aENDb", "ENENXz", "xNDNDE", "E",   "abcE\nEND",
                                          "EEEN",  "xabcx",  "xyzxy",  "aab", "no stops"};
  for (const std::vector<std::string>& stops : stop_sets) {
    for (const std::string& text : texts) {
      bool want_stop;
      const std::string want = Stream(stops, {text}, &want_stop);
      for (size_t i = 0; i <= text.size(); ++i) {
        for (size_t j = i; j <= text.size(); ++j) {
          bool stopped;
          const std::string got = Stream(
              stops, {text.substr(0, i), text.substr(i, j - i), text.substr(j)}, &stopped);
          EXPECT_EQ(got, want) << text << " split " << i << "," << j;
          EXPECT_EQ(stopped, want_stop);
        }
      }
    }
  }
}

}  // namespace
}  // namespace radixlm
