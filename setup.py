"""grass_mm: GraSS self-supervised pretraining as an OpenMMLab (mmpretrain/mmseg) plugin."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def readme() -> str:
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'grass_mm', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(name: str) -> list:
    """Requirement lines of ``requirements/<name>.txt`` (comments dropped)."""
    with open(osp.join(HERE, 'requirements', name), encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def add_mim_extension() -> None:
    """Put ``tools/`` and ``configs/`` into ``grass_mm/.mim`` the way mmpretrain does.

    ``mim train grass_mm CFG`` runs ``grass_mm/.mim/tools/train.py`` and finds configs under
    ``grass_mm/.mim/configs``. Editable installs (``develop``, or PEP 660 ``editable_wheel``)
    get symlinks so edits show up at once; wheels and sdists get copies.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'install', 'build')):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'grass_mm', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('tools', 'configs'):
        src, dst = osp.join(HERE, name), osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst, target_is_directory=True)
        else:
            shutil.copytree(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='grass_mm',
        version=get_version(),
        description='GraSS (gradient-guided sampling) contrastive pretraining for '
        'remote-sensing segmentation, as an mmpretrain/mmsegmentation plugin',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='self-supervised learning, remote sensing, semantic segmentation, OpenMMLab',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
        include_package_data=True,
        package_data={'grass_mm': ['.mim/tools/**/*', '.mim/configs/**/*']},
        python_requires='>=3.8',
        install_requires=parse_requirements('runtime.txt'),
        extras_require={
            'tests': parse_requirements('tests.txt'),
            'mim': parse_requirements('mminstall.txt'),
        },
        classifiers=[
            'License :: OSI Approved :: Apache Software License',
            'Programming Language :: Python :: 3',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
            'Topic :: Scientific/Engineering :: Image Recognition',
        ],
        license='Apache License 2.0',
        zip_safe=False,
    )
