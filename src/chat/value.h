// Value: a Jinja runtime value with Python semantics (what jinja2 sees when
// Hugging Face renders a chat template): undefined, None, bool, int, float,
// str, list, dict (insertion-ordered, string keys), namespace and callable.
//
// Lists and dicts are immutable once built and shared by reference (the
// sandbox HF uses forbids mutating them); a namespace is the one mutable
// object, shared by every Value that refers to it.
//
// Thread safety: a Value is safe to read from several threads when it holds
// no namespace; rendering builds its own values per call.
#ifndef RADIXLM_CHAT_VALUE_H_
#define RADIXLM_CHAT_VALUE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace radixlm::chat {

class Value;

// Arguments of a call: positional, then keyword in source order.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// A native function or macro. Returns InvalidArgument on a runtime error.
using NativeFunction = std::function<Status(const CallArgs& args, Value* out)>;

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict,
                    kNamespace, kFunction };
  using List = std::vector<Value>;
  using Dict = std::vector<std::pair<std::string, Value>>;

  // An undefined value; `name` is what the template asked for (for errors).
  Value() : kind_(Kind::kUndefined) {}
  static Value Undefined(std::string name);
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double d);
  static Value String(std::string s);
  static Value MakeList(List items);
  // A tuple: a list that prints as (a, b) and never equals a list.
  static Value MakeTuple(List items);
  static Value MakeDict(Dict items);
  static Value MakeNamespace(Dict items);
  static Value Function(std::string name, NativeFunction fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kList && b_; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_function() const { return kind_ == Kind::kFunction; }

  bool bool_value() const { return b_; }
  int64_t int_value() const { return kind_ == Kind::kBool ? (b_ ? 1 : 0) : i_; }
  // The number as a double. REQUIRES: is_number().
  double number() const { return kind_ == Kind::kFloat ? f_ : static_cast<double>(int_value()); }
  // The string, or the undefined name / function name.
  const std::string& str() const { return s_; }
  const List& list() const { return *list_; }
  // Items of a dict or namespace.
  const Dict& dict() const { return *dict_; }
  const NativeFunction& function() const { return *fn_; }

  // The value stored under key in a dict or namespace, or nullptr.
  const Value* Find(const std::string& key) const;
  // Sets an attribute of a namespace (shared with every copy).
  // REQUIRES: is_namespace().
  void SetAttribute(const std::string& key, Value v) const;

  // Python truthiness; undefined is false.
  bool Truthy() const;
  // Python str(): what {{ }} prints. Undefined prints as "".
  std::string ToString() const;
  // Python repr(), used inside printed lists and dicts.
  std::string Repr() const;
  // Python type name for error messages ("str", "int", "dict", ...).
  const char* TypeName() const;

  // Python ==.
  static bool Equals(const Value& a, const Value& b);
  // Python <; *out holds a < b. InvalidArgument if the types do not order.
  static Status Less(const Value& a, const Value& b, bool* out);

 private:
  Kind kind_;
  bool b_ = false;  // kBool: the value; kList: whether it is a tuple
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::shared_ptr<const List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<const NativeFunction> fn_;
};

// Limits that keep hostile templates and inputs from exhausting the machine.
inline constexpr int kMaxNestingDepth = 128;      // parser and macro recursion
inline constexpr size_t kMaxOutputBytes = 64u << 20;
inline constexpr int64_t kMaxLoopIterations = 1'000'000;  // per render

}  // namespace radixlm::chat

#endif  // RADIXLM_CHAT_VALUE_H_
