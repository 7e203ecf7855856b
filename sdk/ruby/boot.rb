# The start of every Ruby handler's boot script, evaluated once, at build time, in a freshly
# booted VM (`wsh internal preinit-ruby`), which is then snapshotted. build.py appends to it one
# `Wsh::Files.add` per source file (the SDK's lib/, the route directory's *.rb, Architect's
# src/shared as vendor/shared) and a `Wsh::Files.boot` of the handler file.
#
# The component has no filesystem: ruby.wasm's stdlib is packed inside its module (wasi-vfs),
# and the handler's own files are kept here, in memory, by path. `require`, `require_relative`
# and `load` find them before Ruby's own search: a route's files by their path in the route
# directory (`index.rb`, `lib/helper.rb`), the SDK's under `wsh-sdk/` (which is on the load
# path, with the route directory: `require 'architect/functions'`, `require 'helper'`).

module Wsh
  module Files
    SOURCES = {}
    LOADED = {}
    # Where `require` looks, before Ruby's own $LOAD_PATH: the route directory, then the SDK.
    ROOTS = ["", "wsh-sdk/"].freeze

    def self.add(path, source)
      SOURCES[path] = source
    end

    # `name` relative to the directory of `from` (both virtual paths), without ./ and ../.
    def self.join(from, name)
      File.expand_path(name, "/" + File.dirname(from)).delete_prefix("/")
    end

    def self.find(path)
      [path, "#{path}.rb"].find { |p| SOURCES.key?(p) }
    end

    def self.locate(name)
      return nil if name.start_with?("/")
      ROOTS.each do |root|
        found = find(join("#{root}x", name))
        return found if found
      end
      nil
    end

    # Evaluates a file at the top level with its own local scope, as `require` does; its path
    # is what backtraces and syntax errors name.
    def self.evaluate(path)
      RubyVM::InstructionSequence.compile(SOURCES.fetch(path), path, path, 1).eval
    end

    def self.require_file(path)
      return false if LOADED[path]
      LOADED[path] = true
      begin
        evaluate(path)
      rescue Exception
        LOADED.delete(path)
        raise
      end
      true
    end

    # The value of the boot script: "" once `file` is loaded and defines `handler`, else the
    # error, which fails the build.
    def self.boot(file)
      require "wsh"
      require_file(file)
      Wsh::Dispatch.prepare(file)
      Wsh::Dispatch.warm_up
      ""
    rescue ScriptError, StandardError => e
      # A syntax error's message is "file:line: ..." already; other errors get their backtrace
      # (the handler's frames, not this boot script's).
      # (This boot script's own frames are "eval:..."; the VM's "-e:...".)
      frames = e.is_a?(SyntaxError) ? [] : (e.backtrace || []).reject { |l| l.start_with?("eval:", "-e:") }
      ["#{e.class}: #{e.message}", *frames.map { |l| "\tfrom #{l}" }].join("\n")
    end
  end
end

module Kernel
  alias_method :__wsh_require, :require
  alias_method :__wsh_require_relative, :require_relative
  alias_method :__wsh_load, :load

  private

  def require(name)
    path = Wsh::Files.locate(name.to_s)
    path ? Wsh::Files.require_file(path) : __wsh_require(name)
  end

  def require_relative(name)
    from = caller_locations(1, 1).first&.path.to_s
    # The stdlib's own files have real (absolute) paths in ruby.wasm's packed filesystem.
    return __wsh_require(File.expand_path(name.to_s, File.dirname(from))) if from.start_with?("/")
    path = Wsh::Files.find(Wsh::Files.join(from, name.to_s))
    return Wsh::Files.require_file(path) if path
    raise LoadError, "cannot load such file -- #{Wsh::Files.join(from, name.to_s)}"
  end

  def load(name, wrap = false)
    path = Wsh::Files.locate(name.to_s)
    path ? (Wsh::Files.evaluate(path) || true) : __wsh_load(name, wrap)
  end
end
